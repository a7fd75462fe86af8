/**
 * The slow-embedder scenario of `npm run bench` (alone: `npm run bench:embedder`), issue 15 item 5:
 * EMBEDDER=ollama against bench/slow-embed-server.ts, a box serving 3 calls at once at 100 ms
 * each (30 calls/s at most, well below what fetch, parse, chunk and index do on two cores, so
 * embedding is the bottleneck). Each embed worker runs with PREFETCH_EMBED=1, one call at a time,
 * so worker processes are the knob: one worker gets 1 / (100 ms + its own time per document:
 * store reads and writes, the confirmed publish, ~40 ms on the shared machine) ≈ 7 documents/s,
 * and the box is full at about 3 × 140 / 100 ≈ 4 workers; more only wait in the box's queue.
 *
 * 1. The same documents with 1, 2, 4 and 8 embed workers (fetch, parse, chunk, index: one process each).
 * 2. 1,000 documents asynchronously at the best count and through the synchronous baseline on the same box.
 * 3. The supervisor's autoscaler (the one `npm start` runs) managing the embed actor from one worker,
 *    on queue depth alone (SCALE_UTILISATION=off) with the seed's rule: one worker per 500 waiting
 *    documents (SCALE_QUEUE_LENGTH=500), at most 8. 2,000 documents arrive far faster than one
 *    worker embeds them, so the embed queue deepens past 500, 1,000 and 1,500 and the count climbs
 *    to 4; the cool-down (60 s) outlasts the drain, so it holds 4 until the queue is nearly empty
 *    and then returns to one. Its worker count timeline comes from the status file it writes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import amqp from 'amqplib';
import Database from 'better-sqlite3';
import { STAGES, type Stage } from '../schema/domain.ts';
import { createBroker, createRetryPolicy } from '../config/components.ts';
import type { ScalingConfig, SystemConfig } from '../config/config.ts';
import { deleteTopology, topology } from '../messaging/topology.ts';
import { checkStageQueues } from '../messaging/stage-depth.ts';
import { splitNodeUrls } from '../messaging/node-urls.ts';
import { createLogger } from '../observability/logger.ts';
import { Autoscaler } from '../supervisor/autoscaler.ts';
import { readScalingStatus } from '../supervisor/scaling-status.ts';
import { Supervisor } from '../supervisor/supervisor.ts';
import type { CorpusDocument } from './corpus.ts';
import { ingestRun, type IngestRunResult } from './ingest-run.ts';
import { stagesConsumed, startProcess, waitFor, type BenchProcess } from './processes.ts';
import { printTable } from './report.ts';
import { startSlowEmbedServer, type SlowEmbedServerStats } from './slow-embed-server.ts';

const SERVER_LATENCY_MS = Number(process.env.BENCH_EMBED_LATENCY_MS ?? 100);
const SERVER_CONCURRENCY = Number(process.env.BENCH_EMBED_CONCURRENCY ?? 3);
const WORKER_COUNTS = [1, 2, 4, 8] as const;
/** Documents per worker count: enough for a steady rate, few enough that one worker takes ~20 s. */
const DOCUMENTS_PER_COUNT = Number(process.env.BENCH_EMBED_DOCUMENTS ?? 150);
const COMPARED_DOCUMENTS = 1000;
/** A backlog of 1,501 to 2,000 waiting documents asks for 4 workers under the seed's 500 per worker. */
const AUTOSCALED_DOCUMENTS = Number(process.env.BENCH_EMBED_AUTOSCALED_DOCUMENTS ?? 2000);
// The scenario starts every other actor itself, one process per stage: the autoscaler runs embed workers only.
const SCALING: Omit<ScalingConfig, 'minWorkers' | 'maxWorkers'> = { pipelineWorkers: 0, targetQueueLength: 500, targetUtilisation: null, intervalMs: 1000, cooldownMs: 60_000 };
const EMBED_MAX_WORKERS = 8;
const CONCURRENCY = 64;
const RATE = 200;
const FRONT_STAGES: readonly Stage[] = ['FETCH', 'PARSE', 'CHUNK', 'INDEX'];

/** One point of the autoscaler's timeline. */
export interface ScalingPoint {
  readonly atSeconds: number;
  readonly workers: number;
  readonly ready: number;
  readonly reason: string;
}

/** What the scenario measured. */
export interface SlowEmbedderResult {
  readonly server: { readonly latencyMs: number; readonly concurrency: number; readonly maxCallsPerSecond: number };
  readonly byWorkers: readonly { readonly workers: number; readonly documents: number; readonly seconds: number; readonly documentsPerSecond: number }[];
  readonly bestWorkers: number;
  readonly compared: { readonly documents: number; readonly asyncSeconds: number; readonly syncSeconds: number; readonly asyncMutationP99Ms: number; readonly syncMutationP99Ms: number };
  readonly autoscaled: {
    readonly documents: number; readonly seconds: number; readonly documentsPerSecond: number; readonly targetQueueLength: number;
    readonly cooldownMs: number; readonly maxWorkers: number; readonly peakWorkers: number; readonly peakReady: number;
    readonly backToOneAfterSeconds: number | null; readonly timeline: readonly ScalingPoint[];
  };
  readonly serverStats: SlowEmbedServerStats & { readonly callsPerDocument: number };
  /** Jobs of the scenario that did not succeed, by final status and error (none expected). */
  readonly unsuccessful: Record<string, number>;
  readonly seconds: number;
}

export async function runSlowEmbedderScenario(config: SystemConfig, corpus: readonly CorpusDocument[], log: (message: string) => void): Promise<SlowEmbedderResult> {
  const started = Date.now();
  const namespace = `bench-embed-${randomUUID().slice(0, 8)}`;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'rag-bench-embed-'));
  const dbPath = path.join(dataDir, 'rag.sqlite');
  const names = topology(namespace, config.queueType);
  const server = await startSlowEmbedServer({ latencyMs: SERVER_LATENCY_MS, concurrency: SERVER_CONCURRENCY, dimension: 64 });
  const env = (port: number): NodeJS.ProcessEnv => ({
    ...process.env, AMQP_NAMESPACE: namespace, DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'error',
    EMBEDDER: 'ollama', OLLAMA_HOST: server.host, OLLAMA_MODEL: 'slow-embed', PREFETCH_EMBED: '1',
  });
  const connection = await amqp.connect(splitNodeUrls(config.amqpUrl)[0]!);
  const channel = await connection.createChannel();
  channel.on('error', () => {});
  const embedDepth = () => checkStageQueues(channel, names.stageQueues('EMBED'));
  const processes: BenchProcess[] = [];
  const run = (collection: string, url: string, documents: readonly CorpusDocument[]): Promise<IngestRunResult> =>
    ingestRun({ url, dbPath, collection, documents, concurrency: CONCURRENCY, ratePerSecond: RATE, timeoutMs: 600_000 });
  const logger = createLogger('bench-supervisor', 'error');
  const supervisor = new Supervisor(logger, { startLimit: 3, stopGraceMs: 15_000, env: env(0) });
  const broker = createBroker({ ...config, namespace }, 'bench-autoscaler', logger);
  let autoscaler: Autoscaler | null = null;
  try {
    log(`slow embedder: a box serving ${SERVER_CONCURRENCY} calls at once, ${SERVER_LATENCY_MS} ms each, at ${server.host}`);
    const asyncGateway = startProcess('embed-gateway', 'gateway/main.ts', [], env(4731));
    const syncGateway = startProcess('embed-sync-gateway', 'bench/sync-gateway-main.ts', [], env(4732));
    processes.push(asyncGateway, syncGateway, ...FRONT_STAGES.map((stage) =>
      startProcess(`embed-${stage.toLowerCase()}`, 'services/actor-main.ts', [stage.toLowerCase()], env(0))));
    const asyncUrl = 'http://127.0.0.1:4731/graphql';
    const syncUrl = 'http://127.0.0.1:4732/graphql';
    await waitFor('gateways', async () => (await fetch('http://127.0.0.1:4731/healthz')).ok && (await fetch('http://127.0.0.1:4732/healthz')).ok);
    await waitFor('actors', () => stagesConsumed(connection, names, FRONT_STAGES));

    // 1. Fixed worker counts, each on the same documents (a collection of its own).
    const embedWorkers: BenchProcess[] = [];
    const byWorkers: SlowEmbedderResult['byWorkers'][number][] = [];
    const documents = corpus.slice(0, DOCUMENTS_PER_COUNT);
    for (const workers of WORKER_COUNTS) {
      while (embedWorkers.length < workers) {
        embedWorkers.push(startProcess(`embed-worker-${embedWorkers.length + 1}`, 'services/actor-main.ts', ['embed'], env(0)));
      }
      await waitFor(`${workers} embed workers`, async () => (await embedDepth()).consumers >= workers);
      const result = await run(`workers${workers}`, asyncUrl, documents);
      byWorkers.push({ workers, documents: result.documents, seconds: result.seconds, documentsPerSecond: result.documentsPerSecond });
      log(`slow embedder, ${workers} embed worker(s): ${result.documentsPerSecond} docs/s (${result.documents} in ${result.seconds} s)`);
    }
    // The best count: the fewest workers within 10 % of the highest rate (more only queue at the box).
    const top = Math.max(...byWorkers.map((row) => row.documentsPerSecond));
    const bestWorkers = byWorkers.find((row) => row.documentsPerSecond >= 0.9 * top)!.workers;

    // 2. 1,000 documents: async at the best count, then the synchronous baseline on the same box.
    await Promise.all(embedWorkers.splice(bestWorkers).map((worker) => worker.stop()));
    const compared = corpus.slice(0, COMPARED_DOCUMENTS);
    const async1000 = await run('async1000', asyncUrl, compared);
    log(`slow embedder, ${compared.length} documents async with ${bestWorkers} embed workers: ${async1000.seconds} s`);
    const sync1000 = await run('sync1000', syncUrl, compared);
    log(`slow embedder, ${compared.length} documents through the synchronous baseline: ${sync1000.seconds} s`);
    await Promise.all(embedWorkers.splice(0).map((worker) => worker.stop()));
    await waitFor('no embed workers', async () => (await embedDepth()).consumers === 0);

    // 3. The autoscaler manages the embed actor alone (0 workers for the others, which already run).
    const only = (embed: number) => Object.fromEntries(STAGES.map((stage) => [stage, stage === 'EMBED' ? embed : 0])) as Record<Stage, number>;
    void broker.start();
    autoscaler = new Autoscaler(supervisor, broker, names, { ...SCALING, minWorkers: only(1), maxWorkers: only(EMBED_MAX_WORKERS) }, dataDir, logger);
    await autoscaler.start();
    await waitFor('one embed worker', async () => (await embedDepth()).consumers === 1);
    const timeline = watchScaling(dataDir);
    const scaledStart = Date.now();
    const autoscaledDocuments = Array.from({ length: Math.ceil(AUTOSCALED_DOCUMENTS / corpus.length) }, (_, round) =>
      corpus.map((doc) => ({ ...doc, id: `${doc.id}-${round}` }))).flat().slice(0, AUTOSCALED_DOCUMENTS);
    const autoscaled = await run('autoscaled', asyncUrl, autoscaledDocuments);
    log(`slow embedder, autoscaled: ${autoscaled.documents} documents in ${autoscaled.seconds} s`);
    await waitFor('the autoscaler back at one embed worker', async () => timeline.workers() === 1, SCALING.cooldownMs * 3);
    const points = timeline.stop(scaledStart);
    const backToOne = [...points].reverse().find((point) => point.workers === 1);
    const unsuccessful = countUnsuccessful(dbPath);
    if (Object.keys(unsuccessful).length > 0) log(`slow embedder: jobs that did not succeed: ${JSON.stringify(unsuccessful)}`);
    return {
      server: { latencyMs: SERVER_LATENCY_MS, concurrency: SERVER_CONCURRENCY, maxCallsPerSecond: Math.round((1000 / SERVER_LATENCY_MS) * SERVER_CONCURRENCY) },
      byWorkers, bestWorkers,
      compared: {
        documents: compared.length, asyncSeconds: async1000.seconds, syncSeconds: sync1000.seconds,
        asyncMutationP99Ms: async1000.mutationMs.p99, syncMutationP99Ms: sync1000.mutationMs.p99,
      },
      autoscaled: {
        documents: autoscaled.documents, seconds: autoscaled.seconds, documentsPerSecond: autoscaled.documentsPerSecond,
        targetQueueLength: SCALING.targetQueueLength, cooldownMs: SCALING.cooldownMs, maxWorkers: EMBED_MAX_WORKERS,
        peakWorkers: Math.max(...points.map((point) => point.workers)), peakReady: timeline.peakReady(),
        backToOneAfterSeconds: backToOne?.atSeconds ?? null, timeline: points,
      },
      serverStats: { ...server.stats(), callsPerDocument: Math.round((server.stats().calls / documentsIngested(byWorkers, compared.length, autoscaled.documents)) * 100) / 100 },
      unsuccessful,
      seconds: Math.round((Date.now() - started) / 1000),
    };
  } finally {
    await autoscaler?.stop();
    await broker.close().catch(() => {});
    await Promise.all(processes.map((proc) => proc.stop()));
    await supervisor.stopAll();
    await deleteTopology(channel, names, createRetryPolicy(config).delays()).catch((error) => log(`cleanup: ${String(error)}`));
    await connection.close();
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Jobs that did not succeed, counted by collection, status and error. */
function countUnsuccessful(dbPath: string): Record<string, number> {
  const db = new Database(dbPath, { readonly: true });
  try {
    const rows = db.prepare("SELECT collection, status, error, COUNT(*) AS n FROM jobs WHERE status != 'SUCCEEDED' GROUP BY 1, 2, 3").all() as
      { collection: string; status: string; error: string | null; n: number }[];
    return Object.fromEntries(rows.map((row) => [`${row.collection} ${row.status}: ${row.error ?? ''}`, row.n]));
  } finally {
    db.close();
  }
}

/** Documents the box embedded over the scenario (each run's successes, plus the sync run's). */
function documentsIngested(byWorkers: SlowEmbedderResult['byWorkers'], compared: number, autoscaled: number): number {
  return byWorkers.reduce((sum, row) => sum + row.documents, 0) + 2 * compared + autoscaled;
}

/** Polls the status file the autoscaler writes every tick, keeping each change of the embed worker count. */
function watchScaling(dataDir: string) {
  const points: (ScalingPoint & { at: number })[] = [];
  let peakReady = 0;
  let workers = -1;
  const timer = setInterval(() => {
    void readScalingStatus(dataDir).then((status) => {
      const embed = status?.stages.EMBED;
      if (!embed) return;
      peakReady = Math.max(peakReady, embed.ready);
      if (embed.workers !== workers) {
        workers = embed.workers;
        points.push({ at: Date.now(), atSeconds: 0, workers, ready: embed.ready, reason: embed.lastDecision?.reason ?? 'start' });
      }
    }).catch(() => {});
  }, 250);
  return {
    workers: () => workers,
    peakReady: () => peakReady,
    /** The timeline in seconds since `start`. */
    stop(start: number): ScalingPoint[] {
      clearInterval(timer);
      return points.map(({ at, ...point }) => ({ ...point, atSeconds: Math.max(0, Math.round((at - start) / 100) / 10) }));
    },
  };
}

export function printSlowEmbedderReport(result: SlowEmbedderResult): void {
  const { server, byWorkers, compared, autoscaled } = result;
  console.log(`\nSlow embedder (Ollama /api/embed): ${server.concurrency} calls at once × ${server.latencyMs} ms = at most ${server.maxCallsPerSecond} calls/s; ` +
    `${result.serverStats.callsPerDocument} calls per document; PREFETCH_EMBED=1`);
  printTable([
    ['embed workers', ...byWorkers.map((row) => String(row.workers))],
    ['documents/s', ...byWorkers.map((row) => String(row.documentsPerSecond))],
    [`seconds for ${byWorkers[0]?.documents ?? 0} documents`, ...byWorkers.map((row) => String(row.seconds))],
  ]);
  printTable([
    [`${compared.documents} documents on the same box`, 'seconds', 'mutation p99 ms'],
    [`async, ${result.bestWorkers} embed workers`, String(compared.asyncSeconds), String(compared.asyncMutationP99Ms)],
    ['sync baseline', String(compared.syncSeconds), String(compared.syncMutationP99Ms)],
  ]);
  console.log(`Autoscaler (SCALE_QUEUE_LENGTH=${autoscaled.targetQueueLength}, depth alone, cool-down ${autoscaled.cooldownMs / 1000} s, max ${autoscaled.maxWorkers}): ` +
    `${autoscaled.documents} documents in ${autoscaled.seconds} s (${autoscaled.documentsPerSecond}/s), peak ${autoscaled.peakWorkers} workers at ` +
    `${autoscaled.peakReady} waiting at most, back at 1 after ${autoscaled.backToOneAfterSeconds} s`);
  printTable([
    ['t (s)', 'embed workers', 'ready', 'decision'],
    ...autoscaled.timeline.map((point) => [String(point.atSeconds), String(point.workers), String(point.ready), point.reason]),
  ]);
}
