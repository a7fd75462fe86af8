/**
 * Builds the components a process needs from its configuration: the store, the embedder,
 * the broker connection and the retry policy. The only place that chooses implementations.
 */
import path from 'node:path';
import type { Logger } from '../observability/logger.ts';
import type { SystemConfig } from './config.ts';
import type { Embedder } from './embedders/embedder.ts';
import { HashingEmbedder } from './embedders/hashing-embedder.ts';
import { Broker } from './runtime/broker.ts';
import { RetryPolicy } from './runtime/retry-policy.ts';
import { openSqliteStore } from './stores/sqlite/sqlite-store.ts';
import type { Store } from './stores/store.ts';

export async function openStore(config: SystemConfig): Promise<Store> {
  if (config.store === 'sqlite') return openSqliteStore({ path: path.join(config.dataDir, 'rag.sqlite') });
  throw new Error('STORE=mongodb is not available in this build');
}

export function createEmbedder(config: SystemConfig): Embedder {
  if (config.embedder === 'hashing') return new HashingEmbedder({ dimension: config.hashingDimension });
  throw new Error('EMBEDDER=ollama is not available in this build');
}

export function createBroker(config: SystemConfig, name: string, logger: Logger): Broker {
  // The namespace in the connection name lets an operator (and the fault tests) find one deployment's connections.
  return new Broker({ url: config.amqpUrl, name: `${config.namespace} ${name}`, publishTimeoutMs: config.publishTimeoutMs, logger });
}

export function createRetryPolicy(config: SystemConfig): RetryPolicy {
  return new RetryPolicy({ tiersMs: config.retryDelaysMs, defaultMaxAttempts: config.maxAttempts, maxAttempts: config.maxAttemptsByStage });
}
