/**
 * `npm run bench:search`: the read path alone, without RabbitMQ (so it needs no broker lock):
 * a collection pre-loaded to BENCH_SEARCH_CHUNKS (default 100k) through the store, then exact
 * KNN, VECTOR through the approximate index and HYBRID, p50/p95 idle and while two processes
 * write through indexDocument at full speed (the index actors' write; with the write-ahead log's
 * largest size meanwhile), recall@10 against exact on the same queries, and the index's catch-up
 * time and size, and each mode idle with a metadata filter matching nine chunks in ten and one in
 * ten (with VECTOR's recall@10 against exact over the matching chunks). Searches go through the
 * store as the gateway calls it (its search thread).
 * Last, VECTOR while two processes write distinct texts into the searched collection itself at
 * BENCH_SEARCH_FOLLOW_RATE chunks/s together (default 900, about the pipeline's pace in
 * `npm run bench`): the graph must follow those writes, or searches run exact. LEXICAL is also
 * timed through a store that ranks with FTS5's bm25 alone (LEXICAL_POSTINGS_MB=0) beside the
 * gateway's kept postings, and the gateway's first LEXICAL pass apart (each word's postings read
 * then). BENCH_SEARCH_FLAT_MAX sets the collection size up to which the approximate index is an
 * exact int8 scan (default the store's, FLAT_MAX_CHUNKS; 0 measures the graph at any size). Writes
 * bench/results/search-<timestamp>.json.
 */
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { HashingEmbedder } from '../embedders/hashing-embedder.ts';
import type { SearchMode } from '../schema/domain.ts';
import type { MetadataFilter } from '../schema/metadata-filter.ts';
import { openSqliteStore } from '../stores/sqlite/sqlite-store.ts';
import type { Store } from '../stores/store.ts';
import { recallAt10, waitForAnnIndex } from './ann-quality.ts';
import { FLAT_MAX_CHUNKS } from '../stores/sqlite/ann-index.ts';
import { queryTitles, loadCorpus } from './corpus.ts';
import { loadCorpusCopy } from './crowd.ts';
import { describeMachine } from './machine.ts';
import { Preloader, preloadTextsOf } from './preload.ts';
import { removeOnInterrupt, startProcess } from './processes.ts';
import { PROJECT_ROOT } from '../supervisor/node-command.ts';
import { summarize, type LatencySummary } from './stats.ts';

const CHUNKS = Number(process.env.BENCH_SEARCH_CHUNKS ?? 100_000);
/** Other collections holding the corpus whole (bench/crowd.ts), as `npm run bench` has six when it searches. */
const CROWD = Number(process.env.BENCH_SEARCH_CROWD ?? 6);
const TEXTS = preloadTextsOf(process.env);
/** Chunks per second written into the searched collection in the last phase, by two writers together. */
const FOLLOW_RATE = Number(process.env.BENCH_SEARCH_FOLLOW_RATE ?? 900);
const FLAT_MAX = Number(process.env.BENCH_SEARCH_FLAT_MAX ?? FLAT_MAX_CHUNKS);
const QUERIES = 200;
/** The pre-load's shelves (bench/preload.ts): "common" holds nine documents in ten, "rare" one. */
const SHELVES = ['common', 'rare'] as const;
const FILTERED_RECALL_QUERIES = 50;
/**
 * How long the index may take to catch up. A graph of 1M took 23–25 minutes on this 2-core machine
 * on slow stretches, and more than 30 on a slower one (2026-12-07), where a 30-minute wait ended
 * the run after the pre-load.
 */
const INDEX_WAIT_MS = 90 * 60_000;
const COLLECTION = 'search';
const started = Date.now();
const log = (message: string) => console.error(`[bench:search ${((Date.now() - started) / 1000).toFixed(0).padStart(3)} s] ${message}`);

const dataDir = mkdtempSync(path.join(tmpdir(), 'rag-bench-search-'));
// At 1M chunks the folder holds gigabytes: an interrupted run removes it too.
removeOnInterrupt(dataDir);
const dbPath = path.join(dataDir, 'rag.sqlite');
const embedder = new HashingEmbedder({ dimension: 384 });
const writers: { stop(): Promise<void> }[] = [];
const stores: Store[] = [];
try {
  const corpus = loadCorpus(path.join(PROJECT_ROOT, '.cache'));
  const queries = queryTitles(corpus);
  const vectors = await embedder.embed(queries.slice(0, QUERIES));
  const loader = openSqliteStore({ path: dbPath, searchThreads: false });
  stores.push(loader);
  const preloader = new Preloader(loader, embedder, COLLECTION, TEXTS);
  await preloader.prepare(corpus.documents);
  await preloader.fillTo(CHUNKS);
  log(`pre-loaded ${CHUNKS} chunks (${TEXTS} texts)`);
  let crowdChunks = 0;
  for (let i = 0; i < CROWD; i++) crowdChunks += await loadCorpusCopy(loader, embedder, `crowd-${i}`, corpus.documents);
  log(`${CROWD} other collections hold the corpus whole: ${crowdChunks} chunks`);

  const exact = openSqliteStore({ path: dbPath, searchThreads: false });
  const gateway = openSqliteStore({ path: dbPath, annFlatMaxChunks: FLAT_MAX });
  // Lexical rankings through FTS5's bm25 alone, beside the gateway's kept postings (LEXICAL only,
  // so its vector thread never loads a graph).
  const fts5Only = openSqliteStore({ path: dbPath, lexicalPostingsMb: 0 });
  stores.push(exact, gateway, fts5Only);
  await gateway.search({ collection: COLLECTION, vector: vectors[0]!, k: 10, mode: 'VECTOR' });
  const index = await waitForAnnIndex(dataDir, dbPath, COLLECTION, INDEX_WAIT_MS, FLAT_MAX);
  log(`approximate index caught up in ${index.seconds} s, ${index.megabytes} MB saved`);

  const timed = async (store: Store, mode: SearchMode, count = QUERIES, filter?: MetadataFilter): Promise<LatencySummary> => {
    const samples: number[] = [];
    for (let i = 0; i < count; i++) {
      const t0 = performance.now();
      await store.search({ collection: COLLECTION, mode, vector: vectors[i % vectors.length]!, text: queries[i % vectors.length]!, k: 10, ...(filter === undefined ? {} : { filter }) });
      samples.push(performance.now() - t0);
    }
    return summarize(samples);
  };
  const quality = await recallAt10(COLLECTION, exact, embedder, queries.slice(0, QUERIES),
    (query, vector) => gateway.search({ collection: COLLECTION, mode: 'VECTOR', vector, text: query, k: 10 }));
  log(`recall@10 ${quality.recall}`);
  // The gateway's first lexical rankings read each word's postings; later ones find them kept.
  const lexicalFirstSeen = await timed(gateway, 'LEXICAL');
  const idle = {
    exact: quality.exactMs, vector: await timed(gateway, 'VECTOR'), lexicalFirstSeen, lexicalFts5: await timed(fts5Only, 'LEXICAL'),
    lexical: await timed(gateway, 'LEXICAL'), hybrid: await timed(gateway, 'HYBRID'),
  };
  log(`idle p95: exact ${idle.exact.p95}, VECTOR ${idle.vector.p95}, HYBRID ${idle.hybrid.p95}, LEXICAL ${idle.lexical.p95} ` +
    `(words seen the first time ${idle.lexicalFirstSeen.p95}; through FTS5's bm25 alone ${idle.lexicalFts5.p95}) ms`);

  // With a metadata filter: the pre-load puts one document in ten on the "rare" shelf, the rest on
  // the "common" one. Each shelf's VECTOR recall is against the exact top 10 of its own chunks, over
  // fewer queries than are timed: an exact search at 1M takes about a second.
  const filtered: Record<string, { recallAt10: number; recallQueries: number; exact: LatencySummary; vector: LatencySummary; lexical: LatencySummary; hybrid: LatencySummary }> = {};
  for (const shelf of SHELVES) {
    const filter = { shelf };
    const recall = await recallAt10(COLLECTION, exact, embedder, queries.slice(0, FILTERED_RECALL_QUERIES),
      (query, vector) => gateway.search({ collection: COLLECTION, mode: 'VECTOR', vector, text: query, k: 10, filter }), filter);
    const result = filtered[shelf] = {
      recallAt10: recall.recall, recallQueries: recall.queries, exact: recall.exactMs, vector: await timed(gateway, 'VECTOR', QUERIES, filter),
      lexical: await timed(gateway, 'LEXICAL', QUERIES, filter), hybrid: await timed(gateway, 'HYBRID', QUERIES, filter),
    };
    log(`idle with the filter shelf = ${shelf} p95: exact ${result.exact.p95}, VECTOR ${result.vector.p95} (recall@10 ${result.recallAt10}), ` +
      `LEXICAL ${result.lexical.p95}, HYBRID ${result.hybrid.p95} ms`);
  }

  // The write-ahead log's largest size while the writers run: searches keep readers in it, and
  // the writers must still start it over (stores/sqlite/wal-bound.ts).
  let walMaxBytes = 0;
  const walWatch = setInterval(() => {
    try { walMaxBytes = Math.max(walMaxBytes, statSync(`${dbPath}-wal`).size); } catch { /* no log yet */ }
  }, 250).unref();
  for (let i = 0; i < 2; i++) writers.push(startProcess(`writer-${i}`, 'bench/index-writer-main.ts', [dbPath, 'ingest'], process.env));
  await new Promise((resolve) => setTimeout(resolve, 5_000));
  const busy = {
    exact: await timed(exact, 'VECTOR', 50), vector: await timed(gateway, 'VECTOR'), hybrid: await timed(gateway, 'HYBRID'),
    lexical: await timed(gateway, 'LEXICAL'), lexicalFts5: await timed(fts5Only, 'LEXICAL'),
  };
  const written = (await gateway.getCollection('ingest'))?.chunkCount ?? 0;
  await Promise.all(writers.splice(0).map((writer) => writer.stop()));
  clearInterval(walWatch);
  const walMaxMb = Math.round(walMaxBytes / 1e6);
  log(`during writes p95: exact ${busy.exact.p95}, VECTOR ${busy.vector.p95}, HYBRID ${busy.hybrid.p95}, LEXICAL ${busy.lexical.p95} ` +
    `(FTS5 alone ${busy.lexicalFts5.p95}) ms; ${written} chunks written meanwhile, write-ahead log at most ${walMaxMb} MB`);

  const before = (await gateway.getCollection(COLLECTION))?.chunkCount ?? 0;
  const writing = Date.now();
  for (let i = 0; i < 2; i++) {
    // From past the pre-load's chunk numbers, so every text written is new to the collection.
    writers.push(startProcess(`paced-${i}`, 'bench/index-writer-main.ts', [dbPath, COLLECTION, String(FOLLOW_RATE / 2), String(CHUNKS * (2 + i))], process.env));
  }
  await new Promise((resolve) => setTimeout(resolve, 5_000));
  // The kept postings follow these writes too: each ranking applies the changes since the last.
  const followed = {
    vector: await timed(gateway, 'VECTOR'), lexical: await timed(gateway, 'LEXICAL'), lexicalFts5: await timed(fts5Only, 'LEXICAL'), hybrid: await timed(gateway, 'HYBRID'),
  };
  const paced = ((await gateway.getCollection(COLLECTION))?.chunkCount ?? 0) - before;
  const pacedSeconds = (Date.now() - writing) / 1000;
  await Promise.all(writers.splice(0).map((writer) => writer.stop()));
  const caughtUp = await waitForAnnIndex(dataDir, dbPath, COLLECTION, INDEX_WAIT_MS, FLAT_MAX);
  log(`writing into the searched collection at ${Math.round(paced / pacedSeconds)} chunks/s: VECTOR p95 ${followed.vector.p95}, LEXICAL ${followed.lexical.p95} ` +
    `(FTS5 alone ${followed.lexicalFts5.p95}), HYBRID ${followed.hybrid.p95} ms; caught up ${caughtUp.seconds} s after`);

  const result = {
    at: new Date().toISOString(), machine: describeMachine('not used'), chunks: CHUNKS, annFlatMaxChunks: FLAT_MAX, preloadTexts: TEXTS, otherCollections: { count: CROWD, chunks: crowdChunks }, queries: QUERIES, k: 10,
    index: { catchUpSeconds: index.seconds, savedMegabytes: index.megabytes }, recallAt10: quality.recall,
    idle, filtered, duringWrites: { ...busy, chunksWritten: written, walMaxMb },
    // The graph's follower against the pace asked for (the searched collection's own writes).
    writingIntoSearched: {
      chunksPerSecondAsked: FOLLOW_RATE, chunksPerSecondWritten: Math.round(paced / pacedSeconds), ...followed,
      catchUpAfterSeconds: caughtUp.seconds,
    },
    seconds: Math.round((Date.now() - started) / 1000),
  };
  console.log(JSON.stringify(result, null, 2));
  const resultsDir = path.join(PROJECT_ROOT, 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(path.join(resultsDir, `search-${result.at.replace(/[:.]/g, '-')}.json`), `${JSON.stringify(result, null, 2)}\n`);
} finally {
  await Promise.all(writers.map((writer) => writer.stop()));
  for (const store of stores) await store.close();
  rmSync(dataDir, { recursive: true, force: true });
}
