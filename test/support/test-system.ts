/**
 * A whole system for one test file: gateway and actors in this process, on the real RabbitMQ,
 * under a namespace of its own (queues and exchanges) and a store file of its own.
 * stop() deletes the namespace's queues and exchanges and the data directory.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import amqp from 'amqplib';
import { STAGES, type Stage } from '../../schema/domain.ts';
import { createLogger, silentLogger } from '../../observability/logger.ts';
import { defaultConfig, readConfig, type SystemConfig } from '../../config/config.ts';
import { createRetryPolicy, openStore } from '../../config/components.ts';
import { runActors, type RunningActors } from '../../services/run-actors.ts';
import { deleteTopology, topology, type Topology } from '../../messaging/topology.ts';
import type { Store } from '../../stores/store.ts';
import { startGateway, type RunningGateway } from '../../gateway/server.ts';

export const AMQP_URL = process.env.AMQP_URL ?? defaultConfig().amqpUrl;

export interface TestSystem {
  readonly config: SystemConfig;
  readonly names: Topology;
  readonly store: Store;
  readonly gateway: RunningGateway;
  readonly url: string;
  actors: RunningActors | null;
  /** Starts the actors (if started with `actors: false`), for the given stages or all. */
  startActors(stages?: readonly Stage[]): Promise<void>;
  stopActors(): Promise<void>;
  stop(): Promise<void>;
}

export interface TestSystemOptions {
  /** Start the actors at once (default true). */
  readonly actors?: boolean;
  readonly config?: Partial<SystemConfig>;
}

export async function startTestSystem(options: TestSystemOptions = {}): Promise<TestSystem> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'rag-test-'));
  const namespace = `test-${randomUUID().slice(0, 8)}`;
  const config = defaultConfig({
    amqpUrl: AMQP_URL, namespace, dataDir, port: 0, host: '127.0.0.1',
    retryDelaysMs: [50, 100], publishTimeoutMs: 3000, fetchAllowList: ['127.0.0.1/32'],
    // QUEUE_TYPE=quorum npx mocha … runs the system tests on quorum queues.
    queueType: readConfig({ QUEUE_TYPE: process.env.QUEUE_TYPE }).queueType,
    ...options.config,
  });
  const logger = process.env.TEST_LOG ? createLogger('test', 'debug') : silentLogger;
  const store = await openStore(config);
  const gateway = await startGateway(config, logger, { store });
  const system: TestSystem = {
    config, names: topology(namespace, config.queueType), store, gateway, url: gateway.url, actors: null,
    async startActors(stages = STAGES) {
      system.actors = await runActors(stages, config, logger, { store });
    },
    async stopActors() {
      await system.actors?.stop(2000);
      system.actors = null;
    },
    async stop() {
      await system.stopActors();
      await gateway.stop();
      await store.close();
      await deleteNamespace(config.amqpUrl, system.names, createRetryPolicy(config).delays());
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  if (options.actors !== false) await system.startActors();
  return system;
}

/** Deletes a namespace's queues and exchanges, as a test that declared them leaves the broker. */
export async function deleteNamespace(amqpUrl: string, names: Topology, retryDelays: readonly number[]): Promise<void> {
  // The first node of a cluster's list; every node sees the whole cluster's queues.
  const connection = await amqp.connect(amqpUrl.split(',')[0]!.trim());
  try {
    const channel = await connection.createChannel();
    await deleteTopology(channel, names, retryDelays);
  } finally {
    await connection.close();
  }
}

/**
 * Runs `work` with a confirm channel of its own connection (queue depths, raw publishes);
 * waits for every publish to be confirmed before closing.
 */
export async function withAmqp<T>(work: (channel: amqp.ConfirmChannel) => Promise<T>): Promise<T> {
  const connection = await amqp.connect(AMQP_URL);
  try {
    const channel = await connection.createConfirmChannel();
    // A failed passive check closes the channel; the awaited call rejects with the reason.
    channel.on('error', () => {});
    const result = await work(channel);
    await channel.waitForConfirms();
    return result;
  } finally {
    await connection.close();
  }
}

/** Ready messages in each stage queue and dead-letter queue. */
export async function queueDepths(names: Topology): Promise<Record<string, number>> {
  return withAmqp(async (channel) => {
    const depths: Record<string, number> = {};
    for (const stage of STAGES) {
      depths[names.stageQueue(stage)] = (await channel.checkQueue(names.stageQueue(stage))).messageCount;
      depths[names.deadLetterQueue(stage)] = (await channel.checkQueue(names.deadLetterQueue(stage))).messageCount;
    }
    return depths;
  });
}
