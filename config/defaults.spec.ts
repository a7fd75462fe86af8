/**
 * One default per setting: config/ holds it, and components take the setting as a required
 * option. The type-level half runs in `npm test`'s typecheck: each `@ts-expect-error` below
 * fails the build if a component starts accepting the option's absence again (a second default).
 */
import assert from 'node:assert/strict';
import { DEFAULT_CHUNK_OPTIONS } from '../services/chunk/split-sections.ts';
import { chunkActor } from '../services/chunk/chunk-actor.ts';
import { DEFAULT_FETCH_OPTIONS } from '../services/fetch/safe-fetch.ts';
import { HashingEmbedder } from '../embedders/hashing-embedder.ts';
import { OllamaEmbedder } from '../embedders/ollama-embedder.ts';
import { PendingWorkGauge } from '../gateway/ingest/pending-work-gauge.ts';
import { StallWatchdog } from '../gateway/stall-watchdog.ts';
import type { Broker } from '../messaging/broker.ts';
import type { JobEventPublisher } from '../messaging/job-events.ts';
import { RetryPolicy } from '../messaging/retry-policy.ts';
import { silentLogger } from '../observability/logger.ts';
import { openMongoStore } from '../stores/mongodb/mongo-store.ts';
import type { Store } from '../stores/store.ts';
import { createRetryPolicy, mongoStoreOptions, ollamaOptions } from './components.ts';
import { defaultConfig } from './config.ts';

describe('one default per setting', () => {
  const config = defaultConfig();

  it('when components are built from the default configuration, should carry its values', () => {
    const retry = createRetryPolicy(config);
    for (const stage of ['FETCH', 'EMBED'] as const) assert.equal(retry.maxAttempts(stage), config.maxAttempts);
    assert.equal(retry.delayAfter(1, () => 0), config.retryDelaysMs[0]);
    assert.equal(retry.delayAfter(99, () => 0), config.retryDelaysMs.at(-1));
    assert.deepEqual(DEFAULT_CHUNK_OPTIONS, { size: config.chunkSize, overlap: config.chunkOverlap });
    assert.deepEqual(
      { timeoutMs: DEFAULT_FETCH_OPTIONS.timeoutMs, maxBytes: DEFAULT_FETCH_OPTIONS.maxBytes, maxRedirects: DEFAULT_FETCH_OPTIONS.maxRedirects },
      { timeoutMs: config.fetchTimeoutMs, maxBytes: config.fetchMaxBytes, maxRedirects: config.fetchMaxRedirects },
    );
    assert.deepEqual(ollamaOptions(config), {
      host: config.ollamaHost, model: config.ollamaModel, timeoutMs: config.ollamaTimeoutMs, batchSize: config.ollamaBatchSize,
    });
    assert.deepEqual(mongoStoreOptions(config, 'mongodb://x'), {
      uri: 'mongodb://x', db: config.mongodbDb, numCandidatesFactor: config.mongodbNumCandidatesFactor, indexWaitMs: config.mongodbIndexWaitMs, quantization: config.mongodbQuantization,
    });
  });

  it('when a component is built without a setting config owns, should not compile', () => {
    const store = {} as Store;
    const events = {} as JobEventPublisher;
    const broker = {} as Broker;
    // Never called: these lines exist for the typecheck.
    const withoutSettings = () => [
      // @ts-expect-error retry tiers and attempts come from config (RETRY_DELAYS_MS, MAX_ATTEMPTS)
      new RetryPolicy({}),
      // @ts-expect-error STALL_TIMEOUT_MS and STALL_CHECK_INTERVAL_MS come from config
      new StallWatchdog(store, events, silentLogger, {}),
      // @ts-expect-error MONGODB_DB, MONGODB_NUM_CANDIDATES_FACTOR and MONGODB_INDEX_WAIT_MS come from config
      openMongoStore({ uri: 'mongodb://x' }),
      // @ts-expect-error OLLAMA_MODEL, OLLAMA_TIMEOUT_MS and OLLAMA_BATCH_SIZE come from config
      new OllamaEmbedder({ host: 'http://x' }),
      // @ts-expect-error HASHING_DIMENSION comes from config
      new HashingEmbedder({}),
      // @ts-expect-error PENDING_CHECK_MS comes from config
      new PendingWorkGauge(broker, { queue: 'q', maxPendingJobs: 1 }),
      // @ts-expect-error CHUNK_SIZE and CHUNK_OVERLAP come from config
      chunkActor({}),
    ];
    assert.equal(typeof withoutSettings, 'function');
  });
});
