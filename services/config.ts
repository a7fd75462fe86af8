/**
 * The system's configuration: every environment variable, its default and meaning, in one
 * place. Only entry points call readConfig(process.env); everything else receives the result.
 */
import path from 'node:path';
import type { LogLevel } from '../observability/logger.ts';
import { STAGES, type Stage } from '../schema/domain.ts';

/** The whole configuration of a process; see README "Configuration". */
export interface SystemConfig {
  /** AMQP_URL: RabbitMQ. */
  readonly amqpUrl: string;
  /** AMQP_NAMESPACE: prefix of every exchange and queue. */
  readonly namespace: string;
  /** DATA_DIR: where the embedded store keeps its file. */
  readonly dataDir: string;
  /** PORT / HOST: the gateway's HTTP and WebSocket address. */
  readonly port: number;
  readonly host: string;
  /** STORE: sqlite (embedded) or mongodb. */
  readonly store: 'sqlite' | 'mongodb';
  readonly mongodbUri: string | null;
  readonly mongodbDb: string;
  /** EMBEDDER: hashing (local, lexical) or ollama. */
  readonly embedder: 'hashing' | 'ollama';
  readonly hashingDimension: number;
  readonly ollamaHost: string;
  readonly ollamaModel: string;
  readonly chunkSize: number;
  readonly chunkOverlap: number;
  /** MAX_DOCUMENT_BYTES: largest document accepted by the gateway (decoded bytes). */
  readonly maxDocumentBytes: number;
  /** MAX_BATCH_DOCUMENTS: most inputs in one ingestDocuments call. */
  readonly maxBatchDocuments: number;
  readonly fetchTimeoutMs: number;
  readonly fetchMaxBytes: number;
  readonly fetchMaxRedirects: number;
  /** FETCH_ALLOW_LIST: comma-separated CIDRs or hosts the fetcher may reach despite being private. */
  readonly fetchAllowList: readonly string[];
  /** PREFETCH: unacked messages per actor consumer. */
  readonly prefetch: number;
  /** STAGE_TIMEOUT_MS: a handler running longer is aborted and the attempt fails. */
  readonly stageTimeoutMs: number;
  /** RETRY_DELAYS_MS: comma-separated back-off tiers. */
  readonly retryDelaysMs: readonly number[];
  /** MAX_ATTEMPTS: deliveries per stage before dead-lettering. */
  readonly maxAttempts: number;
  /** PUBLISH_TIMEOUT_MS: how long an ingest waits for the broker before UNAVAILABLE. */
  readonly publishTimeoutMs: number;
  /** MAX_STAGE_QUEUE_LENGTH: most messages a stage queue holds; the broker rejects publishes past it (0 = unbounded). */
  readonly maxStageQueueLength: number;
  /** MAX_PENDING_JOBS: ready messages in the fetch queue past which ingest mutations answer BACKPRESSURE (0 = off). */
  readonly maxPendingJobs: number;
  /** PENDING_CHECK_MS: how long the gateway caches the fetch queue's depth. */
  readonly pendingCheckMs: number;
  /** ACTOR_NICE: CPU niceness of actor processes (0..19); the gateway keeps 0, so serving clients wins the CPU over background work. */
  readonly actorNice: number;
  /** Autoscaling of `npm start`'s actor processes (see services/supervisor/scaling-policy.ts). */
  readonly scaling: ScalingConfig;
  readonly logLevel: LogLevel;
}

/** Worker bounds and scaling targets of the supervisor. */
export interface ScalingConfig {
  /** MIN_WORKERS / MIN_WORKERS_<STAGE>: fewest worker processes per actor. */
  readonly minWorkers: Readonly<Record<Stage, number>>;
  /** MAX_WORKERS / MAX_WORKERS_<STAGE>: most worker processes per actor. */
  readonly maxWorkers: Readonly<Record<Stage, number>>;
  /** SCALE_QUEUE_LENGTH: ready messages per worker above which the actor scales up (KEDA QueueLength). */
  readonly targetQueueLength: number;
  /** SCALE_UTILISATION: consumer utilisation (0..1) above which a backlog counts as saturated. */
  readonly targetUtilisation: number;
  /** SCALE_INTERVAL_MS: how often queue depths are polled. */
  readonly intervalMs: number;
  /** SCALE_COOLDOWN_MS: how long depth must stay low before removing a worker (KEDA cooldownPeriod). */
  readonly cooldownMs: number;
}

type Env = Readonly<Record<string, string | undefined>>;

export function readConfig(env: Env): SystemConfig {
  const dataDir = path.resolve(env.DATA_DIR ?? './data');
  return {
    amqpUrl: env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
    namespace: env.AMQP_NAMESPACE ?? 'rag',
    dataDir,
    port: int(env, 'PORT', 4000, 0, 65535),
    host: env.HOST ?? '127.0.0.1',
    store: oneOf(env, 'STORE', ['sqlite', 'mongodb'] as const, 'sqlite'),
    mongodbUri: env.MONGODB_URI ?? null,
    mongodbDb: env.MONGODB_DB ?? 'rag',
    embedder: oneOf(env, 'EMBEDDER', ['hashing', 'ollama'] as const, 'hashing'),
    hashingDimension: int(env, 'HASHING_DIMENSION', 384, 8, 4096),
    ollamaHost: env.OLLAMA_HOST ?? 'http://127.0.0.1:11434',
    ollamaModel: env.OLLAMA_MODEL ?? 'nomic-embed-text',
    chunkSize: int(env, 'CHUNK_SIZE', 1000, 50, 100_000),
    chunkOverlap: int(env, 'CHUNK_OVERLAP', 150, 0, 50_000),
    maxDocumentBytes: int(env, 'MAX_DOCUMENT_BYTES', 10 * 1024 * 1024, 1, 512 * 1024 * 1024),
    maxBatchDocuments: int(env, 'MAX_BATCH_DOCUMENTS', 100, 1, 10_000),
    fetchTimeoutMs: int(env, 'FETCH_TIMEOUT_MS', 15_000, 100, 600_000),
    fetchMaxBytes: int(env, 'FETCH_MAX_BYTES', 20 * 1024 * 1024, 1, 512 * 1024 * 1024),
    fetchMaxRedirects: int(env, 'FETCH_MAX_REDIRECTS', 5, 0, 20),
    fetchAllowList: list(env.FETCH_ALLOW_LIST),
    prefetch: int(env, 'PREFETCH', 4, 1, 1000),
    stageTimeoutMs: int(env, 'STAGE_TIMEOUT_MS', 120_000, 100, 3_600_000),
    retryDelaysMs: list(env.RETRY_DELAYS_MS ?? '1000,4000,16000,64000').map((value) => positive('RETRY_DELAYS_MS', value)),
    maxAttempts: int(env, 'MAX_ATTEMPTS', 5, 1, 100),
    publishTimeoutMs: int(env, 'PUBLISH_TIMEOUT_MS', 5000, 100, 120_000),
    maxStageQueueLength: int(env, 'MAX_STAGE_QUEUE_LENGTH', 200_000, 0, 100_000_000),
    maxPendingJobs: int(env, 'MAX_PENDING_JOBS', 100_000, 0, 100_000_000),
    pendingCheckMs: int(env, 'PENDING_CHECK_MS', 500, 0, 60_000),
    actorNice: int(env, 'ACTOR_NICE', 10, 0, 19),
    scaling: readScaling(env),
    logLevel: oneOf(env, 'LOG_LEVEL', ['debug', 'info', 'warn', 'error', 'silent'] as const, 'info'),
  };
}

function readScaling(env: Env): ScalingConfig {
  const min = int(env, 'MIN_WORKERS', 1, 0, 64);
  const max = int(env, 'MAX_WORKERS', 2, 1, 64);
  const perStage = (prefix: string, fallback: number, low: number) => Object.fromEntries(STAGES.map((stage) =>
    [stage, int(env, `${prefix}_${stage}`, fallback, low, 64)])) as Record<Stage, number>;
  const minWorkers = perStage('MIN_WORKERS', min, 0);
  const maxWorkers = perStage('MAX_WORKERS', max, 1);
  for (const stage of STAGES) {
    if (minWorkers[stage] > maxWorkers[stage]) {
      throw new Error(`MIN_WORKERS_${stage} (${minWorkers[stage]}) must not exceed MAX_WORKERS_${stage} (${maxWorkers[stage]})`);
    }
  }
  const utilisation = Number(env.SCALE_UTILISATION ?? '0.8');
  if (!(utilisation > 0 && utilisation <= 1)) throw new Error(`SCALE_UTILISATION must be in (0, 1], got "${env.SCALE_UTILISATION}"`);
  return {
    minWorkers, maxWorkers,
    targetQueueLength: int(env, 'SCALE_QUEUE_LENGTH', 50, 1, 1_000_000),
    targetUtilisation: utilisation,
    intervalMs: int(env, 'SCALE_INTERVAL_MS', 2000, 100, 600_000),
    cooldownMs: int(env, 'SCALE_COOLDOWN_MS', 30_000, 0, 3_600_000),
  };
}

/** The configuration with every default: the base for tests. */
export function defaultConfig(overrides: Partial<SystemConfig> = {}): SystemConfig {
  return { ...readConfig({}), ...overrides };
}

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be an integer in ${min}..${max}, got "${raw}"`);
  }
  return value;
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!(allowed as readonly string[]).includes(raw)) throw new Error(`${name} must be one of ${allowed.join(', ')}, got "${raw}"`);
  return raw as T;
}

function list(raw: string | undefined): string[] {
  return (raw ?? '').split(',').map((item) => item.trim()).filter(Boolean);
}

function positive(name: string, raw: string): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} entries must be positive integers, got "${raw}"`);
  return value;
}
