/**
 * A stand-in for the index actors at full speed, for `npm run bench:search`: writes documents of
 * 20 embedded chunks through the store's indexDocument (the index actor's write), one after
 * another, until stopped. Arguments: database path, collection.
 */
import { HashingEmbedder } from '../embedders/hashing-embedder.ts';
import { openSqliteStore } from '../stores/sqlite/sqlite-store.ts';

const [dbPath, collection] = process.argv.slice(2) as [string, string];
const store = openSqliteStore({ path: dbPath, searchThreads: false });
const embedder = new HashingEmbedder({ dimension: 384 });
const identity = await embedder.identity();
let running = true;
process.on('SIGTERM', () => { running = false; });
for (let n = 0; running; n++) {
  const id = `writer-${process.pid}-${n}`;
  const texts = Array.from({ length: 20 }, (_, i) => `document ${n} part ${i}: ${'lorem ipsum dolor sit amet '.repeat(30)} ${n * 20 + i}`);
  const vectors = await embedder.embed(texts);
  await store.createJob({ id, collection, documentId: id, priority: 'NORMAL' });
  await store.indexDocument({
    jobId: id,
    document: { id, collection, title: null, mimeType: 'text/plain', sourceUrl: null, metadata: {}, contentHash: null },
    embedder: identity,
    chunks: texts.map((text, i) => ({ id: `${id}:${i}`, ordinal: i, text, heading: null, vector: vectors[i]! })),
  });
}
await store.close();
