/**
 * Classic queues on one node against quorum queues on a local three-node cluster, side by side in
 * one run (issue 17): the same documents through the same asynchronous pipeline (a gateway and one
 * process per actor), once on the machine's own RabbitMQ with `QUEUE_TYPE=classic` and once on
 * three nodes started beside it (test/support/rabbit-cluster.ts) with `QUEUE_TYPE=quorum` and
 * every node in `AMQP_URL`. Each run gets its own namespace and data folder, deleted after.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import amqp from 'amqplib';
import { STAGES } from '../schema/domain.ts';
import type { QueueType } from '../messaging/topology.ts';
import { topology } from '../messaging/topology.ts';
import { splitNodeUrls } from '../messaging/node-urls.ts';
import { clusterUnavailable, RabbitCluster } from '../test/support/rabbit-cluster.ts';
import type { CorpusDocument } from './corpus.ts';
import { ingestRun, type IngestRunResult } from './ingest-run.ts';
import { cleanUpOnce, cleanUpRun, removeOnInterrupt, stagesConsumed, startProcess, waitFor } from './processes.ts';

/** One queue type's run, or why it did not run. */
export interface QueueTypeRun {
  readonly label: string;
  readonly queueType: QueueType;
  readonly nodes: number;
  readonly result: IngestRunResult | null;
  readonly skipped?: string;
}

export interface QueueTypesOptions {
  /** The machine's own broker, where the classic run goes. */
  readonly amqpUrl: string;
  readonly documents: readonly CorpusDocument[];
  readonly concurrency: number;
  readonly ratePerSecond: number;
  readonly port: number;
  /** The retry delays the processes run with: the retry queues are named after them. */
  readonly retryDelaysMs: readonly number[];
  readonly log: (message: string) => void;
}

export async function measureQueueTypes(options: QueueTypesOptions): Promise<QueueTypeRun[]> {
  const runs: QueueTypeRun[] = [];
  options.log(`queue types: classic on one node, ${options.documents.length} documents`);
  runs.push({ label: 'classic, one node', queueType: 'classic', nodes: 1, result: await pipelineRun(options, options.amqpUrl, 'classic') });
  const unavailable = clusterUnavailable();
  if (unavailable) return [...runs, { label: 'quorum, three nodes', queueType: 'quorum', nodes: 3, result: null, skipped: unavailable }];
  options.log('queue types: starting a three-node RabbitMQ cluster beside the machine\'s own');
  const cluster = await RabbitCluster.start();
  const teardown = cleanUpOnce(() => cluster.teardown());
  try {
    options.log(`queue types: quorum on three nodes, ${options.documents.length} documents`);
    runs.push({ label: 'quorum, three nodes', queueType: 'quorum', nodes: 3, result: await pipelineRun(options, cluster.amqpUrl, 'quorum') });
  } finally {
    await teardown();
  }
  return runs;
}

/** Starts a gateway and one process per actor on `amqpUrl`, ingests the documents, stops and deletes everything. */
async function pipelineRun(options: QueueTypesOptions, amqpUrl: string, queueType: QueueType): Promise<IngestRunResult> {
  const namespace = `bench-${queueType}-${randomUUID().slice(0, 8)}`;
  const dataDir = mkdtempSync(path.join(tmpdir(), `rag-bench-${queueType}-`));
  removeOnInterrupt(dataDir);
  const names = topology(namespace, queueType);
  const env = { ...process.env, AMQP_URL: amqpUrl, QUEUE_TYPE: queueType, AMQP_NAMESPACE: namespace, DATA_DIR: dataDir, HOST: '127.0.0.1', LOG_LEVEL: 'error' };
  const processes = [
    startProcess(`gateway-${queueType}`, 'gateway/main.ts', [], { ...env, PORT: String(options.port) }),
    ...STAGES.map((stage) => startProcess(`actor-${stage.toLowerCase()}-${queueType}`, 'services/actor-main.ts', [stage.toLowerCase()], { ...env, PORT: '0' })),
  ];
  const connection = await amqp.connect(splitNodeUrls(amqpUrl)[0]!);
  const cleanUp = cleanUpRun(connection, names, options.retryDelaysMs, dataDir, options.log);
  try {
    const url = `http://127.0.0.1:${options.port}/graphql`;
    await waitFor(`the ${queueType} gateway`, async () => (await fetch(url.replace('/graphql', '/healthz'))).ok);
    await waitFor(`the ${queueType} actors`, () => stagesConsumed(connection, names, STAGES));
    return await ingestRun({
      url, dbPath: path.join(dataDir, 'rag.sqlite'), collection: queueType, documents: options.documents,
      concurrency: options.concurrency, ratePerSecond: options.ratePerSecond, timeoutMs: 300_000,
    });
  } finally {
    await Promise.all(processes.map((proc) => proc.stop()));
    await cleanUp();
  }
}
