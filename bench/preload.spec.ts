import assert from 'node:assert/strict';
import { HashingEmbedder } from '../embedders/hashing-embedder.ts';
import type { CorpusDocument } from './corpus.ts';
import { PreloadTextSource, preloadTextsOf, type PreloadTexts } from './preload.ts';

const DOCUMENTS: CorpusDocument[] = Array.from({ length: 6 }, (_, i) => ({
  id: `doc-${i}`, title: `Document ${i}`, mimeType: 'text/markdown',
  text: Array.from({ length: 40 }, (_, w) => `word${i}x${w} sentence ${w % 7}.`).join(' '),
}));

/** The first `total` chunks of a source of the given kind. */
async function preload(texts: PreloadTexts, total: number): Promise<{ texts: string[]; vectors: Float32Array[] }> {
  const source = new PreloadTextSource(new HashingEmbedder({ dimension: 64 }), texts);
  await source.prepare(DOCUMENTS);
  const chunks = await source.chunks(0, total);
  return { texts: chunks.map((chunk) => chunk.text), vectors: chunks.map((chunk) => chunk.vector) };
}

describe('bench pre-load texts', function () {
  it('gives every chunk a text of its own with distinct texts, the same ones every run', async function () {
    const first = await preload('distinct', 1200);
    const again = await preload('distinct', 1200);
    assert.equal(first.texts.length, 1200);
    assert.equal(new Set(first.texts).size, 1200);
    assert.deepEqual(again.texts, first.texts);
    assert.deepEqual(again.vectors[1199], first.vectors[1199]);
  });

  it('repeats the corpus pieces with repeated texts', async function () {
    const { texts } = await preload('repeated', 1200);
    assert.equal(texts.length, 1200);
    const pieces = new Set(texts).size;
    assert.ok(pieces < 100, `${pieces} different texts`);
    assert.equal(texts[pieces], texts[0]);
  });

  it('reads BENCH_PRELOAD_TEXTS, distinct by default, and names a bad value', function () {
    assert.equal(preloadTextsOf({}), 'distinct');
    assert.equal(preloadTextsOf({ BENCH_PRELOAD_TEXTS: 'repeated' }), 'repeated');
    assert.throws(() => preloadTextsOf({ BENCH_PRELOAD_TEXTS: 'copies' }), /BENCH_PRELOAD_TEXTS must be repeated or distinct, not "copies"/);
  });
});
