import assert from 'node:assert/strict';
import { openSqliteStore } from '../stores/sqlite/sqlite-store.ts';
import type { Store } from '../stores/store.ts';

const EMBEDDER = { name: 'lexical-test', dimension: 2 };

async function index(store: Store, collection: string, documentId: string, texts: string[], metadata: Record<string, string> = {}): Promise<void> {
  const jobId = `job-${collection}-${documentId}`;
  await store.createJob({ id: jobId, collection, documentId, priority: 'NORMAL' });
  await store.indexDocument({
    jobId,
    document: { id: documentId, collection, title: null, mimeType: null, sourceUrl: null, metadata, contentHash: null },
    embedder: EMBEDDER,
    chunks: texts.map((text, ordinal) => ({ id: `${documentId}:${ordinal}`, ordinal, text, heading: null, vector: new Float32Array([1, ordinal]) })),
  });
}

// The lexical ranking first reads the best matches of the whole FTS index, which every collection
// shares; these cases put better matches than the wanted ones past that first read.
describe('SqliteStore lexical ranking among many better matches', () => {
  let store: Store;
  beforeEach(async () => {
    store = openSqliteStore({ path: ':memory:' });
    // 300 short chunks about otters: each outscores the longer chunks below on "otter".
    await index(store, 'crowded', 'many', Array.from({ length: 300 }, (_, i) => `otter ${i}`));
  });
  afterEach(async () => { await store.close(); });

  it('when another collection holds hundreds of better matches, should still return this collection\'s', async () => {
    await index(store, 'quiet', 'few', ['a long text that mentions an otter once among many other words', 'nothing here', 'one more otter in a long and wordy sentence']);
    const hits = await store.search({ collection: 'quiet', mode: 'LEXICAL', text: 'otter', k: 5 });
    assert.deepEqual(hits.map((hit) => hit.chunkId).sort(), ['few:0', 'few:2']);
  });

  it('when a filter keeps only a weak match of a crowded collection, should return it', async () => {
    await index(store, 'crowded', 'tagged', ['a long text that mentions an otter once among many other words'], { tag: 'wanted' });
    const hits = await store.search({ collection: 'crowded', mode: 'LEXICAL', text: 'otter', k: 3, filter: { tag: 'wanted' } });
    assert.deepEqual(hits.map((hit) => hit.chunkId), ['tagged:0']);
  });
});
