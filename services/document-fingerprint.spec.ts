import assert from 'node:assert/strict';
import { canonicalJson, documentFingerprint, sourceDigest, type DocumentSource } from './document-fingerprint.ts';

describe('document fingerprint: what a document\'s chunks were made from', () => {
  const source: DocumentSource = {
    contentHash: 'a'.repeat(64), mimeType: 'text/markdown', title: 'Guide', sourceUrl: null, metadata: { shelf: 'kitchen', tags: ['tea', 'pot'], deep: { b: 1, a: 2 } },
  };
  const chunking = { size: 1000, overlap: 150 };

  it('when the metadata holds the same keys in another order, at any depth, should give the same digest', () => {
    const reordered = { ...source, metadata: { deep: { a: 2, b: 1 }, tags: ['tea', 'pot'], shelf: 'kitchen' } };
    assert.equal(sourceDigest(reordered), sourceDigest(source));
    assert.equal(canonicalJson({ b: [{ d: 1, c: 2 }], a: null }), '{"a":null,"b":[{"c":2,"d":1}]}');
  });

  it('when any part of the source differs (bytes, type, title, URL, metadata, list order), should give another digest', () => {
    const variants: DocumentSource[] = [
      { ...source, contentHash: 'b'.repeat(64) },
      { ...source, mimeType: 'text/plain' },
      { ...source, title: null },
      { ...source, sourceUrl: 'https://example.org/guide' },
      { ...source, metadata: { ...source.metadata, shelf: 'pantry' } },
      { ...source, metadata: { ...source.metadata, tags: ['pot', 'tea'] } },
    ];
    const digests = new Set([source, ...variants].map(sourceDigest));
    assert.equal(digests.size, variants.length + 1);
  });

  it('when the chunk size or overlap differ, should give another fingerprint for the same source', () => {
    const digest = sourceDigest(source);
    const fingerprints = new Set([chunking, { size: 800, overlap: 150 }, { size: 1000, overlap: 100 }].map((options) => documentFingerprint(digest, options)));
    assert.equal(fingerprints.size, 3);
    assert.equal(documentFingerprint(digest, chunking), documentFingerprint(sourceDigest({ ...source }), { ...chunking }));
  });
});
