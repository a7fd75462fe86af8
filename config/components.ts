/**
 * Builds the components a process needs from its configuration: the store, the embedder,
 * the broker connection and the retry policy. The only place that chooses implementations.
 */
import path from 'node:path';
import type { Logger } from '../observability/logger.ts';
import { tracedEmbedder } from '../embedders/traced-embedder.ts';
import { tracedStore } from '../stores/traced-store.ts';
import type { SystemConfig } from './config.ts';
import type { Embedder } from '../embedders/embedder.ts';
import { HashingEmbedder } from '../embedders/hashing-embedder.ts';
import { OllamaEmbedder, type OllamaEmbedderOptions } from '../embedders/ollama-embedder.ts';
import { Broker } from '../messaging/broker.ts';
import { RetryPolicy } from '../messaging/retry-policy.ts';
import type { MongoStoreOptions } from '../stores/mongodb/mongo-store.ts';
import { BACKGROUND_WRITER, FOREGROUND_WRITER } from '../stores/sqlite/write-queue.ts';
import { openSqliteStore } from '../stores/sqlite/sqlite-store.ts';
import type { Store } from '../stores/store.ts';

/**
 * `writer`: whether a client waits for this process's writes (the gateway's accepts: take
 * SQLite's write lock as soon as it is free) or not (the actors: back off, leave gaps).
 */
export async function openStore(config: SystemConfig, writer: 'foreground' | 'background' = 'background'): Promise<Store> {
  if (config.store === 'sqlite') {
    const lockWaiting = writer === 'foreground' ? FOREGROUND_WRITER : BACKGROUND_WRITER;
    return tracedStore(openSqliteStore({ path: path.join(config.dataDir, 'rag.sqlite'), lockWaiting, lexicalPostingsMb: config.lexicalPostingsMb, annIndexMb: config.annIndexMb }));
  }
  if (config.mongodbUri === null || config.mongodbUri === '') {
    throw new Error('STORE=mongodb needs MONGODB_URI (e.g. mongodb://127.0.0.1:27017/?directConnection=true for Atlas Local)');
  }
  // Imported only for STORE=mongodb: the driver costs every process a tenth of a second of start-up.
  const { openMongoStore } = await import('../stores/mongodb/mongo-store.ts');
  return tracedStore(await openMongoStore(mongoStoreOptions(config, config.mongodbUri)));
}

export function mongoStoreOptions(config: SystemConfig, uri: string): MongoStoreOptions {
  return {
    uri, db: config.mongodbDb, numCandidatesFactor: config.mongodbNumCandidatesFactor, indexWaitMs: config.mongodbIndexWaitMs,
    quantization: config.mongodbQuantization,
  };
}

export function createEmbedder(config: SystemConfig): Embedder {
  if (config.embedder === 'hashing') return tracedEmbedder(new HashingEmbedder({ dimension: config.hashingDimension }));
  return tracedEmbedder(new OllamaEmbedder(ollamaOptions(config)));
}

export function ollamaOptions(config: SystemConfig): OllamaEmbedderOptions {
  return { host: config.ollamaHost, model: config.ollamaModel, timeoutMs: config.ollamaTimeoutMs, batchSize: config.ollamaBatchSize };
}

export function createBroker(config: SystemConfig, name: string, logger: Logger): Broker {
  // The namespace in the connection name lets an operator (and the fault tests) find one deployment's connections.
  return new Broker({ url: config.amqpUrl, name: `${config.namespace} ${name}`, publishTimeoutMs: config.publishTimeoutMs, logger });
}

export function createRetryPolicy(config: SystemConfig): RetryPolicy {
  return new RetryPolicy({ tiersMs: config.retryDelaysMs, maxAttempts: config.maxAttempts, maxAttemptsByStage: config.maxAttemptsByStage });
}
