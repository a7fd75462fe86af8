/**
 * `npm run bench:follow`: `bench:search`'s last phase alone, at 1M chunks by default, in minutes
 * instead of the hour a whole 1M run takes. Two processes write distinct texts into the searched
 * collection at BENCH_FOLLOW_RATE chunks/s together (default 900, as bench:search) for
 * BENCH_FOLLOW_SECONDS (default 300), while searches run back to back through the gateway's
 * search threads, 200 VECTOR, then 200 LEXICAL, then 200 HYBRID, and again, as bench:search's
 * phases take turns: their latency per 30 s window shows whether the graph's follower keeps up
 * (an index too far behind is searched exactly, ~600 ms at 1M) and whether the lexical thread's
 * kept words survive the writes made while it waits, and then how long the index takes to catch
 * up once the writers stop.
 *
 * The pre-loaded collection (BENCH_FOLLOW_CHUNKS, the six corpus collections bench:search has
 * beside it, and the gateway's index caught up and saved) is made once into
 * `.cache/follow-<chunks>/` (about 6 GB at 1M, kept for the next run) and each run works on a copy,
 * so two versions of the code compare on the same data. Writes bench/results/follow-<timestamp>.json.
 */
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { HashingEmbedder } from '../embedders/hashing-embedder.ts';
import type { SearchMode } from '../schema/domain.ts';
import { readConfig } from '../config/config.ts';
import { openSqliteStore } from '../stores/sqlite/sqlite-store.ts';
import { FLAT_MAX_CHUNKS } from '../stores/sqlite/ann-index.ts';
import { waitForAnnIndex } from './ann-quality.ts';
import { loadCorpus, queryTitles } from './corpus.ts';
import { loadCorpusCopy } from './crowd.ts';
import { describeMachine } from './machine.ts';
import { Preloader, preloadTextsOf } from './preload.ts';
import { removeOnInterrupt, startProcess } from './processes.ts';
import { summarize, type LatencySummary } from './stats.ts';
import { PROJECT_ROOT } from '../supervisor/node-command.ts';

const CHUNKS = Number(process.env.BENCH_FOLLOW_CHUNKS ?? 1_000_000);
const RATE = Number(process.env.BENCH_FOLLOW_RATE ?? 900);
const SECONDS = Number(process.env.BENCH_FOLLOW_SECONDS ?? 300);
const WINDOW_SECONDS = 30;
const CROWD = 6;
const COLLECTION = 'search';
const QUERIES = 200;
const MODES: readonly SearchMode[] = ['VECTOR', 'LEXICAL', 'HYBRID'];
const started = Date.now();
const log = (message: string) => console.error(`[bench:follow ${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${message}`);

const cacheDir = path.join(PROJECT_ROOT, '.cache');
const preparedDir = path.join(cacheDir, `follow-${CHUNKS}`);
const preparedMark = path.join(preparedDir, 'prepared.json');
const runDir = path.join(cacheDir, `follow-${CHUNKS}-run`);
const embedder = new HashingEmbedder({ dimension: 384 });
const corpus = loadCorpus(cacheDir);
const queries = queryTitles(corpus).slice(0, QUERIES);
const vectors = await embedder.embed(queries);

if (!existsSync(preparedMark)) await prepare();
rmSync(runDir, { recursive: true, force: true });
removeOnInterrupt(runDir);
cpSync(preparedDir, runDir, { recursive: true });
const dbPath = path.join(runDir, 'rag.sqlite');
// The gateway's memory settings as `npm start` reads them (LEXICAL_POSTINGS_MB, ANN_INDEX_MB).
const { lexicalPostingsMb, annIndexMb } = readConfig(process.env);
const gateway = openSqliteStore({ path: dbPath, lexicalPostingsMb, annIndexMb });
const writers: { stop(): Promise<void> }[] = [];
try {
  const search = async (mode: SearchMode, i: number): Promise<number> => {
    const t0 = performance.now();
    await gateway.search({ collection: COLLECTION, mode, vector: vectors[i % vectors.length]!, text: queries[i % queries.length]!, k: 10 });
    return performance.now() - t0;
  };
  const idle: Record<string, LatencySummary> = {};
  for (const mode of MODES) {
    const samples: number[] = [];
    // The first pass reads each word's postings, as a gateway's first searches do: not timed.
    if (mode === 'LEXICAL') for (let i = 0; i < QUERIES; i++) await search(mode, i);
    for (let i = 0; i < QUERIES; i++) samples.push(await search(mode, i));
    idle[mode] = summarize(samples);
  }
  log(`index loaded; idle p95 ${MODES.map((mode) => `${mode} ${idle[mode]!.p95}`).join(', ')} ms`);

  const before = (await gateway.getCollection(COLLECTION))?.chunkCount ?? 0;
  for (let i = 0; i < 2; i++) {
    // From past the pre-load's chunk numbers, as bench:search: every text written is new.
    writers.push(startProcess(`paced-${i}`, 'bench/index-writer-main.ts', [dbPath, COLLECTION, String(RATE / 2), String(CHUNKS * (2 + i))], process.env));
  }
  const writing = Date.now();
  const samples: { mode: SearchMode; atSeconds: number; ms: number }[] = [];
  for (let i = 0; Date.now() - writing < SECONDS * 1000; i++) {
    const mode = MODES[Math.floor(i / QUERIES) % MODES.length]!;
    const ms = await search(mode, i);
    samples.push({ mode, atSeconds: (Date.now() - writing) / 1000, ms });
  }
  const written = ((await gateway.getCollection(COLLECTION))?.chunkCount ?? 0) - before;
  const writtenSeconds = (Date.now() - writing) / 1000;
  await Promise.all(writers.splice(0).map((writer) => writer.stop()));
  const of = (mode: SearchMode, from = 0, to = Infinity) => samples.filter((sample) => sample.mode === mode && sample.atSeconds >= from && sample.atSeconds < to).map((sample) => sample.ms);
  const during = Object.fromEntries(MODES.map((mode) => [mode, summarize(of(mode))]));
  const windows = [];
  for (let from = 0; from < SECONDS; from += WINDOW_SECONDS) {
    const window = Object.fromEntries(MODES.filter((mode) => of(mode, from, from + WINDOW_SECONDS).length > 0).map((mode) => [mode, summarize(of(mode, from, from + WINDOW_SECONDS))]));
    windows.push({ fromSeconds: from, ...window });
    log(`  ${String(from).padStart(3)} s on: ${Object.entries(window).map(([mode, summary]) => `${mode} ${summary.n} searches, p50 ${summary.p50}, p95 ${summary.p95}, max ${summary.max}`).join('; ')} ms`);
  }
  log(`writing ${Math.round(written / writtenSeconds)} chunks/s into the searched collection, p95 (p50, max): `
    + `${MODES.map((mode) => `${mode} ${during[mode]!.p95} (${during[mode]!.p50}, ${during[mode]!.max})`).join(', ')} ms`);
  const caughtUp = await waitForAnnIndex(runDir, dbPath, COLLECTION, 3_600_000, FLAT_MAX_CHUNKS);
  log(`caught up ${caughtUp.seconds} s after the writers stopped`);

  const result = {
    at: new Date().toISOString(), machine: describeMachine('not used'), chunks: CHUNKS, lexicalPostingsMb, annIndexMb, prepared: JSON.parse(readFileSync(preparedMark, 'utf8')) as unknown,
    chunksPerSecondAsked: RATE, chunksPerSecondWritten: Math.round(written / writtenSeconds), seconds: SECONDS,
    idle, during, windows, catchUpAfterSeconds: caughtUp.seconds,
  };
  console.log(JSON.stringify(result, null, 2));
  const resultsDir = path.join(PROJECT_ROOT, 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(path.join(resultsDir, `follow-${result.at.replace(/[:.]/g, '-')}.json`), `${JSON.stringify(result, null, 2)}\n`);
} finally {
  await Promise.all(writers.map((writer) => writer.stop()));
  await gateway.close();
  rmSync(runDir, { recursive: true, force: true });
}

/** Pre-loads the collection and its neighbours into preparedDir and waits for the gateway's index to be saved caught up. */
async function prepare(): Promise<void> {
  rmSync(preparedDir, { recursive: true, force: true });
  // Not removed when interrupted: without its mark, the next run prepares it again from the start.
  mkdirSync(preparedDir, { recursive: true });
  const dbPath = path.join(preparedDir, 'rag.sqlite');
  const loader = openSqliteStore({ path: dbPath, searchThreads: false });
  const preloader = new Preloader(loader, embedder, COLLECTION, preloadTextsOf(process.env));
  await preloader.prepare(corpus.documents);
  await preloader.fillTo(CHUNKS);
  for (let i = 0; i < CROWD; i++) await loadCorpusCopy(loader, embedder, `crowd-${i}`, corpus.documents);
  log(`pre-loaded ${CHUNKS} chunks into ${preparedDir}`);
  const gateway = openSqliteStore({ path: dbPath });
  await gateway.search({ collection: COLLECTION, vector: vectors[0]!, k: 10, mode: 'VECTOR' });
  const index = await waitForAnnIndex(preparedDir, dbPath, COLLECTION, 3_600_000, FLAT_MAX_CHUNKS);
  log(`the index caught up in ${index.seconds} s, ${index.megabytes} MB saved`);
  await gateway.close();
  await loader.close();
  writeFileSync(preparedMark, `${JSON.stringify({ at: new Date().toISOString(), index })}\n`);
}
