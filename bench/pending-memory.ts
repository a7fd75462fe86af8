/**
 * `npm run bench:pending`: the gateway's memory while a backlog builds, alone. A gateway (no
 * actors) under a namespace and data folder of its own takes BENCH_PENDING_STEPS (3) rounds of
 * BENCH_PENDING_JOBS (50,000) jobs through ingestDocuments; after each round, once the outbox has
 * published them all, it reads the gateway's memory (bench/gateway-memory.ts): RSS now and its
 * peak during the round, V8's heap, and both again after a forced full GC. Options:
 *
 * - BENCH_PENDING_GC=0: no forced GC, the gateway left as in `npm run bench`;
 * - BENCH_PENDING_SNAPSHOTS=<folder>: a heap snapshot per round (instead of the plain GC), and
 *   what grew between consecutive ones by constructor (bench/heap-compare.ts);
 * - BENCH_PENDING_INDEXED=<chunks>: first a collection of that many chunks and the gateway's
 *   approximate index of it, as `npm run bench` has before its pending jobs (100,000 there);
 * - BENCH_PENDING_NODE_FLAGS: Node/V8 flags for the gateway (space-separated), to try GC settings;
 * - BENCH_PENDING_SAMPLE_MS=<ms>: logs RSS and V8's heap spaces this often;
 * - BENCH_PENDING_IDLE_MS=<ms>: after the last round, waits idle and reads again (V8 shrinks an
 *   idle heap).
 *
 * Allocator settings in the environment (MALLOC_ARENA_MAX, …) reach the gateway. The namespace's
 * queues and exchanges and the data folder are removed afterwards.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import amqp from 'amqplib';
import { readConfig } from '../config/config.ts';
import { ENTRY_STAGES } from '../schema/domain.ts';
import { createEmbedder, createRetryPolicy, openStore } from '../config/components.ts';
import { checkStageQueues } from '../messaging/stage-depth.ts';
import { splitNodeUrls } from '../messaging/node-urls.ts';
import { deleteTopology, topology } from '../messaging/topology.ts';
import { waitForAnnIndex } from './ann-quality.ts';
import { cpuSeconds } from './cpu.ts';
import { heapSpacesLine, memoryProbe, type MemoryReading } from './gateway-memory.ts';
import { compareHeaps, groupHeap } from './heap-compare.ts';
import { connectInspector } from './inspector-client.ts';
import { publishPendingJobs } from './pending-jobs.ts';
import { Preloader } from './preload.ts';
import { startProcess, waitFor } from './processes.ts';
import { searchHits } from './search-load.ts';

const JOBS = Number(process.env.BENCH_PENDING_JOBS ?? 50_000);
const STEPS = Number(process.env.BENCH_PENDING_STEPS ?? 3);
const FORCE_GC = process.env.BENCH_PENDING_GC !== '0';
const SNAPSHOTS = process.env.BENCH_PENDING_SNAPSHOTS ? path.resolve(process.env.BENCH_PENDING_SNAPSHOTS) : null;
const INDEXED = Number(process.env.BENCH_PENDING_INDEXED ?? 0);
const NODE_FLAGS = (process.env.BENCH_PENDING_NODE_FLAGS ?? '').split(' ').filter(Boolean);
const SAMPLE_MS = Number(process.env.BENCH_PENDING_SAMPLE_MS ?? 0);
const IDLE_MS = Number(process.env.BENCH_PENDING_IDLE_MS ?? 0);
/** Jobs published before the first reading, so that every code path has run once. */
const WARMUP_JOBS = 1000;
const INDEXED_COLLECTION = 'search';
const started = Date.now();
const log = (message: string) => console.error(`[pending ${((Date.now() - started) / 1000).toFixed(0).padStart(3)} s] ${message}`);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().once('error', reject).listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Fills the collection straight through the store; text from a small vocabulary drawn pseudo-randomly, so vectors spread. */
async function preload(dataDir: string, chunks: number): Promise<void> {
  const config = readConfig({ ...process.env, DATA_DIR: dataDir });
  const store = await openStore(config);
  const preloader = new Preloader(store, createEmbedder(config), INDEXED_COLLECTION);
  let seed = 1;
  const word = () => { seed = (seed * 48271) % 2147483647; return `w${seed % 5000}`; };
  await preloader.prepare(Array.from({ length: 400 }, (_, i) => ({
    id: `doc-${i}`, title: `doc ${i}`, mimeType: 'text/markdown' as const, text: Array.from({ length: 1000 }, word).join(' '),
  })));
  await preloader.fillTo(chunks);
  await store.close();
}

function printReadings(readings: readonly { jobs: number; reading: MemoryReading }[]): void {
  const cell = (value: number | null) => (value === null ? '-' : value.toFixed(1)).padStart(8);
  console.log(`gateway memory in MB with jobs pending (MALLOC_ARENA_MAX=${process.env.MALLOC_ARENA_MAX ?? 'unset'}, flags: ${NODE_FLAGS.join(' ') || 'none'})`);
  console.log(['jobs', 'rss', 'Δrss', 'peak', 'Δpeak', 'anon', 'file', 'heapUsed', 'heapTot', 'external', 'rss·gc', 'heap·gc', 'cpu s'].map((h) => h.padStart(8)).join(' '));
  for (const [index, { jobs, reading: r }] of readings.entries()) {
    const previous = readings[index - 1]?.reading;
    console.log([String(jobs).padStart(8), ...[r.rss, previous ? r.rss - previous.rss : null, r.peak, previous ? r.peak - previous.peak : null,
      r.anon, r.file, r.heapUsed, r.heapTotal, r.external, r.rssAfterGc, r.heapUsedAfterGc, r.cpuSeconds].map(cell)].join(' '));
  }
}

const config = readConfig(process.env);
const namespace = `pending-${randomUUID().slice(0, 8)}`;
const dataDir = mkdtempSync(path.join(tmpdir(), 'rag-pending-'));
const names = topology(namespace, config.queueType);
const room = WARMUP_JOBS + JOBS * STEPS + 50_000;
if (INDEXED > 0) {
  log(`pre-loading ${INDEXED} chunks`);
  await preload(dataDir, INDEXED);
}
const [port, inspectPort] = [await freePort(), await freePort()];
const gateway = startProcess('gateway', 'gateway/main.ts', [], {
  ...process.env, AMQP_NAMESPACE: namespace, DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'error',
  MAX_PENDING_JOBS: String(room), MAX_STAGE_QUEUE_LENGTH: String(Math.max(config.maxStageQueueLength, room)),
}, [...NODE_FLAGS, `--inspect=127.0.0.1:${inspectPort}`]);
const connection = await amqp.connect(splitNodeUrls(config.amqpUrl)[0]!);
const channel = await connection.createChannel();
channel.on('error', () => {});
const url = `http://127.0.0.1:${port}/graphql`;

try {
  await waitFor('gateway', async () => (await fetch(url.replace('/graphql', '/healthz'))).ok);
  if (INDEXED > 0) {
    // The first VECTOR search makes the gateway's search thread bring its approximate index up to date.
    await searchHits(url, INDEXED_COLLECTION, 'w1 w2 w3', 'VECTOR', 5);
    const index = await waitForAnnIndex(dataDir, path.join(dataDir, 'rag.sqlite'), INDEXED_COLLECTION, 900_000);
    log(`approximate index caught up in ${index.seconds} s (${index.megabytes} MB saved)`);
  }
  const inspector = await connectInspector(`127.0.0.1:${inspectPort}`);
  if (SNAPSHOTS) mkdirSync(SNAPSHOTS, { recursive: true });
  const snapshotFile = (jobs: number) => path.join(SNAPSHOTS!, `gateway-${jobs}.heapsnapshot`);
  const sampler = SAMPLE_MS > 0
    ? setInterval(() => void heapSpacesLine(gateway, inspector).then(log, (error) => log(String(error))), SAMPLE_MS)
    : null;
  let published = 0;
  // Every accepted job is in its entry stage's queue (parse, for these inline texts): the outbox holds nothing more.
  const entryQueues = ENTRY_STAGES.flatMap((stage) => names.stageQueues(stage));
  const publishedAll = () => waitFor('outbox published', async () => (await checkStageQueues(channel, entryQueues)).ready >= published, 300_000);
  const readings: { jobs: number; reading: MemoryReading }[] = [];
  const probe = memoryProbe(gateway, inspector, cpuSeconds);
  const read = async () => {
    const collect = SNAPSHOTS ? () => inspector.heapSnapshot(snapshotFile(published)) : FORCE_GC ? () => inspector.collectGarbage() : null;
    readings.push({ jobs: published, reading: await probe(collect) });
  };

  published += await publishPendingJobs(url, 'warmup', WARMUP_JOBS);
  await publishedAll();
  await read();
  for (let step = 1; step <= STEPS; step += 1) {
    const roundStarted = Date.now();
    published += await publishPendingJobs(url, `pending${step}`, JOBS);
    await publishedAll();
    await read();
    log(`round ${step}: ${published} jobs pending (${((Date.now() - roundStarted) / 1000).toFixed(0)} s)`);
  }
  if (IDLE_MS > 0) {
    log(`idle for ${IDLE_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
    readings.push({ jobs: published, reading: await probe(null) });
  }
  if (sampler) clearInterval(sampler);
  await inspector.close();

  printReadings(readings);
  if (SNAPSHOTS) {
    for (let index = 1; index < STEPS + 1; index += 1) {
      const [before, after] = [readings[index - 1]!.jobs, readings[index]!.jobs];
      console.log(`\nheap snapshot, ${before} → ${after} jobs pending`);
      console.log(compareHeaps(groupHeap(snapshotFile(before)), groupHeap(snapshotFile(after)), 15).join('\n'));
    }
  }
} finally {
  await gateway.stop();
  await deleteTopology(channel, names, createRetryPolicy(config).delays()).catch((error) => log(`cleanup: ${String(error)}`));
  await connection.close();
  rmSync(dataDir, { recursive: true, force: true });
}
