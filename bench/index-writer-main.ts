/**
 * A stand-in for the index actors, for `npm run bench:search`: writes documents of 20 embedded
 * chunks through the store's indexDocument (the index actor's write), one after another, until
 * stopped. Arguments: database path, collection, and optionally a pace in chunks per second and
 * the first pre-load chunk number. Without a pace it writes at full speed, texts alike but for a
 * number; with one it writes the pre-load's distinct texts from that number on (bench/preload.ts),
 * so the vectors are as varied as the collection's own. It runs at the actors' CPU priority
 * (ACTOR_NICE, lowered as services/actor-main.ts lowers an actor), so the searches measured beside
 * it compete with background work as they do in the system.
 */
import path from 'node:path';
import { readConfig } from '../config/config.ts';
import { HashingEmbedder } from '../embedders/hashing-embedder.ts';
import { lowerCpuPriority } from '../services/cpu-priority.ts';
import { openSqliteStore } from '../stores/sqlite/sqlite-store.ts';
import { isBusy } from '../stores/sqlite/write-queue.ts';
import { PROJECT_ROOT } from '../supervisor/node-command.ts';
import { loadCorpus } from './corpus.ts';
import { PreloadTextSource, writeDocument } from './preload.ts';

const CHUNKS_PER_DOCUMENT = 20;
const [dbPath, collection, pace, first] = process.argv.slice(2) as [string, string, string | undefined, string | undefined];
const { actorNice } = readConfig(process.env);
if (actorNice > 0) lowerCpuPriority(actorNice);
const store = openSqliteStore({ path: dbPath, searchThreads: false });
const embedder = new HashingEmbedder({ dimension: 384 });
const identity = await embedder.identity();
let running = true;
process.on('SIGTERM', () => { running = false; });

/**
 * Writes one document as the index actor would, and again (as a job of its own: the first may be
 * recorded) when the write lock stayed taken past the store's busy timeout, as the actor's
 * delivery would be tried again; said on its standard error.
 */
async function write(document: Parameters<typeof writeDocument>[2], chunks: Parameters<typeof writeDocument>[3]): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await writeDocument(store, identity, { ...document, id: attempt === 0 ? document.id : `${document.id}-again-${attempt}` }, chunks);
    } catch (error) {
      if (!isBusy(error) || !running) throw error;
      console.error(`writer ${process.pid}: the write lock stayed taken past the busy timeout; writing ${document.id} again`);
    }
  }
}

if (pace === undefined) {
  for (let n = 0; running; n++) {
    const id = `writer-${process.pid}-${n}`;
    const texts = Array.from({ length: CHUNKS_PER_DOCUMENT }, (_, i) => `document ${n} part ${i}: ${'lorem ipsum dolor sit amet '.repeat(30)} ${n * CHUNKS_PER_DOCUMENT + i}`);
    const vectors = await embedder.embed(texts);
    await write({ id, collection, title: 'writer', mimeType: 'text/plain' }, texts.map((text, i) => ({ text, vector: vectors[i]! })));
  }
} else {
  const chunksPerSecond = Number(pace);
  const source = new PreloadTextSource(embedder, 'distinct');
  await source.prepare(loadCorpus(path.join(PROJECT_ROOT, '.cache')).documents);
  const started = Date.now();
  for (let written = 0; running; written += CHUNKS_PER_DOCUMENT) {
    // Each document when its chunks are due, so a slow write is caught up on, not lost.
    const due = started + (written / chunksPerSecond) * 1000;
    if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
    const id = `paced-${process.pid}-${written}`;
    const chunks = await source.chunks(Number(first ?? 0) + written, CHUNKS_PER_DOCUMENT);
    await write({ id, collection, title: 'paced', mimeType: 'text/markdown' }, chunks);
  }
}
await store.close();
