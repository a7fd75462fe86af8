/**
 * The system's configuration: every environment variable, its default and meaning, in one
 * place. Only entry points call readConfig(process.env); everything else receives the result.
 */
import path from 'node:path';
import type { LogLevel } from '../observability/logger.ts';
import { STAGES, type Stage } from '../schema/domain.ts';
import { QUEUE_TYPES, type QueueType } from '../messaging/topology.ts';
import { splitNodeUrls } from '../messaging/node-urls.ts';
import { FUSION_WEIGHTS } from '../stores/rank-fusion.ts';

/** The whole configuration of a process; see README "Configuration". */
export interface SystemConfig {
  /** AMQP_URL: RabbitMQ; several nodes of one cluster comma-separated, tried in turn on (re)connect. */
  readonly amqpUrl: string;
  /**
   * QUEUE_TYPE: classic (default: one node, priority inside each queue) or quorum (replicated on a
   * cluster, one queue per priority band). See README "Reliability".
   */
  readonly queueType: QueueType;
  /** DELIVERY_LIMIT: quorum queues dead-letter a message delivered this many times (poison that kills its consumer). */
  readonly deliveryLimit: number;
  /** AMQP_NAMESPACE: prefix of every exchange and queue. */
  readonly namespace: string;
  /** DATA_DIR: where the embedded store keeps its file. */
  readonly dataDir: string;
  /** PORT / HOST: the gateway's HTTP and WebSocket address. */
  readonly port: number;
  readonly host: string;
  /** STORE: sqlite (embedded) or mongodb. */
  readonly store: 'sqlite' | 'mongodb';
  /** MONGODB_URI: the Atlas / Atlas Local connection string; required when STORE=mongodb. */
  readonly mongodbUri: string | null;
  /** MONGODB_DB: database holding jobs, documents, chunks and the collection registry. */
  readonly mongodbDb: string;
  /** MONGODB_NUM_CANDIDATES_FACTOR: `$vectorSearch` numCandidates = factor × k (recall vs. latency). */
  readonly mongodbNumCandidatesFactor: number;
  /** MONGODB_INDEX_WAIT_MS: how long a search waits for the vector index to serve a filter path it needs. */
  readonly mongodbIndexWaitMs: number;
  /** MONGODB_QUANTIZATION: none, scalar or binary automatic quantization in the vector indexes (past ~100,000 vectors). */
  readonly mongodbQuantization: 'none' | 'scalar' | 'binary';
  /** EMBEDDER: hashing (local, lexical) or ollama. */
  readonly embedder: 'hashing' | 'ollama';
  readonly hashingDimension: number;
  /** OLLAMA_HOST: Ollama's base URL. */
  readonly ollamaHost: string;
  /** OLLAMA_MODEL: embedding model (must be pulled: `ollama pull <model>`). */
  readonly ollamaModel: string;
  /** OLLAMA_TIMEOUT_MS: longest one embed call may take before it is aborted and retried. */
  readonly ollamaTimeoutMs: number;
  /**
   * OLLAMA_BATCH_SIZE: texts per Ollama embed call; at most 64, the texts the embed stage hands the
   * embedder at once (services/embed/embed-actor.ts), so a larger value would never take effect.
   */
  readonly ollamaBatchSize: number;
  readonly chunkSize: number;
  readonly chunkOverlap: number;
  /** MAX_DOCUMENT_BYTES: largest document accepted by the gateway (decoded bytes). */
  readonly maxDocumentBytes: number;
  /** MAX_BATCH_DOCUMENTS: most inputs in one ingestDocuments call. */
  readonly maxBatchDocuments: number;
  /** MAX_RUNNING_MUTATIONS: mutations a gateway executes at once; the rest wait in arrival order while queries go ahead (gateway/mutation-gate.ts). */
  readonly maxRunningMutations: number;
  /** MAX_WAITING_MUTATIONS: mutations that may wait for MAX_RUNNING_MUTATIONS in a gateway; past it one is refused with BACKPRESSURE. */
  readonly maxWaitingMutations: number;
  /** MAX_MUTATION_WAIT_MS: the longest a mutation waits for its turn in a gateway; then it is refused with BACKPRESSURE (0: no limit). */
  readonly maxMutationWaitMs: number;
  readonly fetchTimeoutMs: number;
  readonly fetchMaxBytes: number;
  readonly fetchMaxRedirects: number;
  /** FETCH_ALLOW_LIST: comma-separated CIDRs or hosts the fetcher may reach despite being private. */
  readonly fetchAllowList: readonly string[];
  /** PARSE_WORKERS: worker processes of each parse actor process, i.e. documents it parses at once. */
  readonly parseWorkers: number;
  /** PARSE_TIMEOUT_MS: wall-clock time one document may take to parse; past it the worker is killed and the job FAILS. */
  readonly parseTimeoutMs: number;
  /** PARSE_MAX_MEMORY_MB: resident memory a parse worker may reach; past it the worker is killed and the job FAILS. */
  readonly parseMaxMemoryMb: number;
  /** PARSE_INLINE_MAX_BYTES: plain text, Markdown and HTML up to this size parse in the actor, not a worker (0: every document in a worker). */
  readonly parseInlineMaxBytes: number;
  /** PREFETCH: unacked messages per actor consumer. */
  readonly prefetch: number;
  /**
   * PREFETCH_<STAGE> (e.g. PREFETCH_EMBED): overrides PREFETCH for one stage. PREFETCH_EMBED=1
   * makes each embed worker one client of a remote embedder, so worker processes are the knob.
   */
  readonly prefetchByStage: Partial<Record<Stage, number>>;
  /** STAGE_TIMEOUT_MS: a handler running longer is aborted and the attempt fails. */
  readonly stageTimeoutMs: number;
  /** RETRY_DELAYS_MS: comma-separated back-off tiers. */
  readonly retryDelaysMs: readonly number[];
  /** MAX_ATTEMPTS: deliveries per stage before dead-lettering. */
  readonly maxAttempts: number;
  /** MAX_ATTEMPTS_<STAGE> (e.g. MAX_ATTEMPTS_EMBED): overrides MAX_ATTEMPTS for one stage. */
  readonly maxAttemptsByStage: Partial<Record<Stage, number>>;
  /** STALL_TIMEOUT_MS: a QUEUED/RUNNING job without any change for this long is marked FAILED. */
  readonly stallTimeoutMs: number;
  /** STALL_CHECK_INTERVAL_MS: how often the gateway looks for stalled jobs. */
  readonly stallCheckIntervalMs: number;
  /** SHUTDOWN_GRACE_MS: on SIGTERM, how long in-flight messages may finish before they are returned to their queue. */
  readonly shutdownGraceMs: number;
  /** PUBLISH_TIMEOUT_MS: how long a publish waits for a connection and its confirm before it fails. */
  readonly publishTimeoutMs: number;
  /** MAX_UNPUBLISHED_JOBS: accepted jobs that may wait in the outbox while the broker is unreachable; past it ingest answers UNAVAILABLE. */
  readonly maxUnpublishedJobs: number;
  /** OUTBOX_BATCH_SIZE: outbox messages the relay publishes at once, each awaiting its confirm. */
  readonly outboxBatchSize: number;
  /** OUTBOX_POLL_MS: how often the relay reads the outbox when no ingest woke it (other gateways' jobs, restarts). */
  readonly outboxPollMs: number;
  /** OUTBOX_LEASE_MS: how long a relay holds claimed messages before another gateway's relay may publish them. */
  readonly outboxLeaseMs: number;
  /** MAX_STAGE_QUEUE_LENGTH: most messages a stage queue holds; the broker rejects publishes past it (0 = unbounded). */
  readonly maxStageQueueLength: number;
  /** MAX_PENDING_JOBS: ready messages in the fetch queue past which ingest mutations answer BACKPRESSURE (0 = off). */
  readonly maxPendingJobs: number;
  /** PENDING_CHECK_MS: how long the gateway caches the fetch queue's depth. */
  readonly pendingCheckMs: number;
  /**
   * HYBRID_LEXICAL_WEIGHT: the lexical ranking's weight in HYBRID search when a query gives none
   * (0..1, the vector ranking gets the rest). 0.9 is tuned for the hashing embedder; a semantic
   * embedder (Ollama) deserves its own (see README "Search").
   */
  readonly hybridLexicalWeight: number;
  /**
   * LEXICAL_POSTINGS_MB: memory each gateway's lexical search thread may keep word postings in
   * (stores/sqlite/lexical-postings.ts, whose DEFAULT_POSTINGS_MB is this default); 0 ranks every
   * lexical query through FTS5's bm25 instead.
   */
  readonly lexicalPostingsMb: number;
  /**
   * ANN_INDEX_MB: memory each gateway's vector search thread may keep approximate indexes in
   * (stores/sqlite/ann-index.ts, whose DEFAULT_ANN_INDEX_MB is this default); past it the least
   * recently searched collections' indexes are saved and dropped.
   */
  readonly annIndexMb: number;
  /**
   * HAND_OVER: an actor hands its result straight to the next stage's actor when that runs in the
   * same process and has a free slot, instead of through the broker (messaging/hand-over.ts).
   */
  readonly handOverInProcess: boolean;
  /** ACTOR_NICE: CPU niceness of actor processes (0..19); the gateway keeps 0, so serving clients wins the CPU over background work. */
  readonly actorNice: number;
  /** Autoscaling of `npm start`'s actor processes (see supervisor/scaling-policy.ts). */
  readonly scaling: ScalingConfig;
  /** START_LIMIT: a child of `npm start` that fails this many times in a row before it is ready stops the whole system (exit 1). */
  readonly startLimit: number;
  readonly logLevel: LogLevel;
  /** API_KEYS: JSON array of key entries (see README "Security"); null when unset. */
  readonly apiKeys: string | null;
  /** API_KEYS_FILE: a JSON or YAML file of key entries; null when unset. With neither, the gateway is open (loopback only). */
  readonly apiKeysFile: string | null;
  /**
   * MAX_CONNECTIONS: sockets (HTTP and WebSocket alike) one gateway holds open at once; a client
   * opening more finds them closed at once. With MAX_BODY_BYTES it bounds what clients can make
   * the gateway hold. Default 1024.
   */
  readonly maxConnections: number;
  /** MAX_BODY_BYTES: largest HTTP request body (413 before parsing) and largest WebSocket message once connection_init is accepted. Default: MAX_DOCUMENT_BYTES as base64 + 1 MiB. */
  readonly maxBodyBytes: number;
  /**
   * MAX_REQUEST_BYTES_HELD: request bytes one gateway holds at once, over every HTTP body and
   * WebSocket message being received or handled; past it a request is refused at once (HTTP 503
   * BACKPRESSURE, WebSocket close 1013). Default 256 MiB, or MAX_BODY_BYTES when that is larger.
   */
  readonly maxRequestBytesHeld: number;
  /** MAX_WS_INIT_BYTES: largest WebSocket message before connection_init is accepted (the key has not been checked yet). Default 4096. */
  readonly maxWsInitBytes: number;
  /** MAX_WS_BUFFERED_BYTES: outgoing bytes a WebSocket may have waiting for a slow reader before it is disconnected. Default 8 MiB. */
  readonly maxWsBufferedBytes: number;
  /** MAX_SUBSCRIPTIONS_PER_SOCKET: operations (subscriptions above all) one WebSocket may run at once. Default 100. */
  readonly maxSubscriptionsPerSocket: number;
  /** MAX_SUBSCRIPTIONS_PER_KEY: the same over all WebSockets of one API key (open mode: of all clients). Default 1000. */
  readonly maxSubscriptionsPerKey: number;
  /** ALLOWED_ORIGINS: browser origins (or *) that may open a WebSocket besides the gateway's own; open mode allows loopback origins only. Default none. */
  readonly allowedOrigins: readonly string[];
  /** MAX_QUERY_DEPTH: deepest field nesting of an operation. Default 10. */
  readonly maxQueryDepth: number;
  /** MAX_ALIASES: aliases in one operation. Default 15. */
  readonly maxAliases: number;
  /** MAX_QUERY_COST: graphql-armor cost of one operation (objects 2, scalars 1, ×1.5 per level). Default 5000. */
  readonly maxQueryCost: number;
  /** MAX_DIRECTIVES: directives in one operation. Default 50. */
  readonly maxDirectives: number;
  /** MAX_TOKENS: lexical tokens in one operation document. Default 5000. */
  readonly maxTokens: number;
  /** MASK_ERRORS: replace internal errors by "internal error" and a request id. Default true when NODE_ENV=production. */
  readonly maskErrors: boolean;
  /** INTROSPECTION: allow schema introspection. Default false when NODE_ENV=production, else true. */
  readonly introspection: boolean;
  /** JAEGER_UI_URL: Jaeger UI base address; when set, Job.traceUrl links each job's trace. */
  readonly jaegerUiUrl: string | null;
}

/** Worker bounds and scaling targets of the supervisor. */
export interface ScalingConfig {
  /**
   * PIPELINE_WORKERS: processes that run every actor and hand work on in process (HAND_OVER); each
   * counts as a worker of every stage. The supervisor adds single-stage workers beside them.
   */
  readonly pipelineWorkers: number;
  /** MIN_WORKERS / MIN_WORKERS_<STAGE>: fewest worker processes per actor, pipeline workers included. */
  readonly minWorkers: Readonly<Record<Stage, number>>;
  /** MAX_WORKERS / MAX_WORKERS_<STAGE>: most worker processes per actor, pipeline workers included. */
  readonly maxWorkers: Readonly<Record<Stage, number>>;
  /** SCALE_QUEUE_LENGTH: ready messages per worker above which the actor scales up (KEDA QueueLength). */
  readonly targetQueueLength: number;
  /**
   * SCALE_UTILISATION: consumer utilisation (0..1) above which a backlog counts as saturated;
   * `off` (null) scales on queue depth alone, as KEDA's QueueLength mode does.
   */
  readonly targetUtilisation: number | null;
  /** SCALE_INTERVAL_MS: how often queue depths are polled. */
  readonly intervalMs: number;
  /** SCALE_COOLDOWN_MS: how long depth must stay low before removing a worker (KEDA cooldownPeriod). */
  readonly cooldownMs: number;
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Defaults that library code needs outside a process's configuration (a chunker called with
 * only a size, the fetcher's limits in tests); readConfig uses the same values. Every other
 * default is written once, in readConfig: components take their settings as required options.
 */
export const DEFAULTS = {
  hashingDimension: 384,
  chunkSize: 1000,
  chunkOverlap: 150,
  fetchTimeoutMs: 15_000,
  fetchMaxBytes: 20 * 1024 * 1024,
  fetchMaxRedirects: 5,
} as const;

export function readConfig(env: Env): SystemConfig {
  const dataDir = path.resolve(env.DATA_DIR ?? './data');
  const production = env.NODE_ENV === 'production';
  const maxDocumentBytes = int(env, 'MAX_DOCUMENT_BYTES', 10 * 1024 * 1024, 1, 512 * 1024 * 1024);
  // A document travels as base64 (4/3 of its size) plus the rest of the request.
  const maxBodyBytes = int(env, 'MAX_BODY_BYTES', Math.ceil(maxDocumentBytes * 1.37) + 1024 * 1024, 1024, 1024 * 1024 * 1024);
  return {
    amqpUrl: splitNodeUrls(env.AMQP_URL || 'amqp://guest:guest@127.0.0.1:5672').join(','),
    namespace: env.AMQP_NAMESPACE ?? 'rag',
    // classic by default: the default deployment is one node, where a quorum queue has no replica to
    // fail over to and 4-level priority inside one queue is what the broker does best.
    queueType: oneOf(env, 'QUEUE_TYPE', QUEUE_TYPES, 'classic'),
    // Generous: every lost consumer connection (a node fault, a restart) also counts a delivery.
    deliveryLimit: int(env, 'DELIVERY_LIMIT', 20, 2, 1000),
    dataDir,
    port: int(env, 'PORT', 4000, 0, 65535),
    host: env.HOST ?? '127.0.0.1',
    store: oneOf(env, 'STORE', ['sqlite', 'mongodb'] as const, 'sqlite'),
    mongodbUri: env.MONGODB_URI ?? null,
    mongodbDb: env.MONGODB_DB ?? 'rag',
    mongodbNumCandidatesFactor: int(env, 'MONGODB_NUM_CANDIDATES_FACTOR', 20, 1, 1000),
    mongodbIndexWaitMs: int(env, 'MONGODB_INDEX_WAIT_MS', 120_000, 1000, 3_600_000),
    mongodbQuantization: oneOf(env, 'MONGODB_QUANTIZATION', ['none', 'scalar', 'binary'] as const, 'none'),
    embedder: oneOf(env, 'EMBEDDER', ['hashing', 'ollama'] as const, 'hashing'),
    hashingDimension: int(env, 'HASHING_DIMENSION', DEFAULTS.hashingDimension, 8, 4096),
    ollamaHost: env.OLLAMA_HOST ?? 'http://127.0.0.1:11434',
    ollamaModel: env.OLLAMA_MODEL ?? 'nomic-embed-text',
    ollamaTimeoutMs: int(env, 'OLLAMA_TIMEOUT_MS', 60_000, 100, 3_600_000),
    ollamaBatchSize: int(env, 'OLLAMA_BATCH_SIZE', 32, 1, 64),
    chunkSize: int(env, 'CHUNK_SIZE', DEFAULTS.chunkSize, 50, 100_000),
    chunkOverlap: int(env, 'CHUNK_OVERLAP', DEFAULTS.chunkOverlap, 0, 50_000),
    maxDocumentBytes,
    maxBatchDocuments: int(env, 'MAX_BATCH_DOCUMENTS', 100, 1, 10_000),
    maxRunningMutations: int(env, 'MAX_RUNNING_MUTATIONS', 8, 1, 10_000),
    maxWaitingMutations: int(env, 'MAX_WAITING_MUTATIONS', 1000, 0, 1_000_000),
    maxMutationWaitMs: int(env, 'MAX_MUTATION_WAIT_MS', 20, 0, 600_000),
    fetchTimeoutMs: int(env, 'FETCH_TIMEOUT_MS', DEFAULTS.fetchTimeoutMs, 100, 600_000),
    fetchMaxBytes: int(env, 'FETCH_MAX_BYTES', DEFAULTS.fetchMaxBytes, 1, 512 * 1024 * 1024),
    fetchMaxRedirects: int(env, 'FETCH_MAX_REDIRECTS', DEFAULTS.fetchMaxRedirects, 0, 20),
    fetchAllowList: list(env.FETCH_ALLOW_LIST),
    parseWorkers: int(env, 'PARSE_WORKERS', 2, 1, 64),
    parseTimeoutMs: int(env, 'PARSE_TIMEOUT_MS', 60_000, 100, 3_600_000),
    parseMaxMemoryMb: int(env, 'PARSE_MAX_MEMORY_MB', 512, 64, 65_536),
    parseInlineMaxBytes: int(env, 'PARSE_INLINE_MAX_BYTES', 16_384, 0, 65_536),
    prefetch: int(env, 'PREFETCH', 16, 1, 1000),
    prefetchByStage: byStage(env, 'PREFETCH', 1, 1000),
    stageTimeoutMs: int(env, 'STAGE_TIMEOUT_MS', 120_000, 100, 3_600_000),
    retryDelaysMs: list(env.RETRY_DELAYS_MS ?? '1000,4000,16000,64000').map((value) => positive('RETRY_DELAYS_MS', value)),
    maxAttempts: int(env, 'MAX_ATTEMPTS', 5, 1, 100),
    maxAttemptsByStage: byStage(env, 'MAX_ATTEMPTS', 1, 100),
    stallTimeoutMs: int(env, 'STALL_TIMEOUT_MS', 15 * 60_000, 1000, 7 * 24 * 3_600_000),
    stallCheckIntervalMs: int(env, 'STALL_CHECK_INTERVAL_MS', 30_000, 100, 3_600_000),
    shutdownGraceMs: int(env, 'SHUTDOWN_GRACE_MS', 10_000, 0, 600_000),
    publishTimeoutMs: int(env, 'PUBLISH_TIMEOUT_MS', 5000, 100, 120_000),
    maxUnpublishedJobs: int(env, 'MAX_UNPUBLISHED_JOBS', 10_000, 0, 10_000_000),
    outboxBatchSize: int(env, 'OUTBOX_BATCH_SIZE', 200, 1, 10_000),
    outboxPollMs: int(env, 'OUTBOX_POLL_MS', 250, 10, 60_000),
    outboxLeaseMs: int(env, 'OUTBOX_LEASE_MS', 30_000, 1000, 3_600_000),
    maxStageQueueLength: int(env, 'MAX_STAGE_QUEUE_LENGTH', 200_000, 0, 100_000_000),
    maxPendingJobs: int(env, 'MAX_PENDING_JOBS', 100_000, 0, 100_000_000),
    pendingCheckMs: int(env, 'PENDING_CHECK_MS', 500, 0, 60_000),
    actorNice: int(env, 'ACTOR_NICE', 10, 0, 19),
    handOverInProcess: bool(env, 'HAND_OVER', true),
    hybridLexicalWeight: fraction(env, 'HYBRID_LEXICAL_WEIGHT', FUSION_WEIGHTS.LEXICAL),
    lexicalPostingsMb: int(env, 'LEXICAL_POSTINGS_MB', 1024, 0, 65_536),
    annIndexMb: int(env, 'ANN_INDEX_MB', 4096, 16, 1_048_576),
    scaling: readScaling(env),
    startLimit: int(env, 'START_LIMIT', 5, 1, 1000),
    logLevel: oneOf(env, 'LOG_LEVEL', ['debug', 'info', 'warn', 'error', 'silent'] as const, 'info'),
    apiKeys: env.API_KEYS || null,
    apiKeysFile: env.API_KEYS_FILE || null,
    maxConnections: int(env, 'MAX_CONNECTIONS', 1024, 1, 1_000_000),
    maxBodyBytes,
    // At least one request of the largest size must fit.
    maxRequestBytesHeld: requestBytesHeld(env, maxBodyBytes),
    maxWsInitBytes: int(env, 'MAX_WS_INIT_BYTES', 4096, 256, 1024 * 1024),
    maxWsBufferedBytes: int(env, 'MAX_WS_BUFFERED_BYTES', 8 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
    maxSubscriptionsPerSocket: int(env, 'MAX_SUBSCRIPTIONS_PER_SOCKET', 100, 1, 100_000),
    maxSubscriptionsPerKey: int(env, 'MAX_SUBSCRIPTIONS_PER_KEY', 1000, 1, 10_000_000),
    allowedOrigins: origins(env.ALLOWED_ORIGINS),
    maxQueryDepth: int(env, 'MAX_QUERY_DEPTH', 10, 1, 100),
    maxAliases: int(env, 'MAX_ALIASES', 15, 0, 1000),
    maxQueryCost: int(env, 'MAX_QUERY_COST', 5000, 1, 1_000_000),
    maxDirectives: int(env, 'MAX_DIRECTIVES', 50, 0, 1000),
    maxTokens: int(env, 'MAX_TOKENS', 5000, 10, 1_000_000),
    maskErrors: bool(env, 'MASK_ERRORS', production),
    introspection: bool(env, 'INTROSPECTION', !production),
    jaegerUiUrl: env.JAEGER_UI_URL?.trim().replace(/\/+$/, '') || null,
  };
}

function readScaling(env: Env): ScalingConfig {
  const min = int(env, 'MIN_WORKERS', 1, 0, 64);
  const max = int(env, 'MAX_WORKERS', 2, 1, 64);
  const perStage = (prefix: string, fallback: number, low: number) => Object.fromEntries(STAGES.map((stage) =>
    [stage, int(env, `${prefix}_${stage}`, fallback, low, 64)])) as Record<Stage, number>;
  const minWorkers = perStage('MIN_WORKERS', min, 0);
  const maxWorkers = perStage('MAX_WORKERS', max, 1);
  const pipelineWorkers = int(env, 'PIPELINE_WORKERS', 1, 0, 64);
  for (const stage of STAGES) {
    if (minWorkers[stage] > maxWorkers[stage]) {
      throw new Error(`MIN_WORKERS_${stage} (${minWorkers[stage]}) must not exceed MAX_WORKERS_${stage} (${maxWorkers[stage]})`);
    }
    if (pipelineWorkers > maxWorkers[stage]) {
      throw new Error(`PIPELINE_WORKERS (${pipelineWorkers}) must not exceed MAX_WORKERS_${stage} (${maxWorkers[stage]}): each pipeline worker is a worker of every stage`);
    }
  }
  const utilisation = env.SCALE_UTILISATION === 'off' ? null : Number(env.SCALE_UTILISATION || '0.8');
  if (utilisation !== null && !(utilisation > 0 && utilisation <= 1)) {
    throw new Error(`SCALE_UTILISATION must be in (0, 1] or off, got "${env.SCALE_UTILISATION}"`);
  }
  return {
    pipelineWorkers, minWorkers, maxWorkers,
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

/** MAX_REQUEST_BYTES_HELD: at least MAX_BODY_BYTES, so that a request of the largest size fits. */
function requestBytesHeld(env: Env, maxBodyBytes: number): number {
  const bytes = int(env, 'MAX_REQUEST_BYTES_HELD', Math.max(256 * 1024 * 1024, maxBodyBytes), 1024, 64 * 1024 * 1024 * 1024);
  if (bytes < maxBodyBytes) {
    throw new Error(`MAX_REQUEST_BYTES_HELD must be at least MAX_BODY_BYTES (${maxBodyBytes}), or no request of that size could ever be read; got ${bytes}`);
  }
  return bytes;
}

/** `<prefix>_<STAGE>` overrides of one setting, for the stages that set one. */
function byStage(env: Env, prefix: string, min: number, max: number): Partial<Record<Stage, number>> {
  return Object.fromEntries(STAGES.flatMap((stage) => {
    const name = `${prefix}_${stage}`;
    return env[name] === undefined || env[name] === '' ? [] : [[stage, int(env, name, min, min, max)]];
  }));
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

function fraction(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0 || value > 1) throw new Error(`${name} must be a number from 0 to 1, got "${raw}"`);
  return value;
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!(allowed as readonly string[]).includes(raw)) throw new Error(`${name} must be one of ${allowed.join(', ')}, got "${raw}"`);
  return raw as T;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (['true', '1', 'yes'].includes(raw.toLowerCase())) return true;
  if (['false', '0', 'no'].includes(raw.toLowerCase())) return false;
  throw new Error(`${name} must be true or false, got "${raw}"`);
}

function list(raw: string | undefined): string[] {
  return (raw ?? '').split(',').map((item) => item.trim()).filter(Boolean);
}

/** ALLOWED_ORIGINS: `*` or origins (scheme://host[:port], nothing after), normalized as browsers send them. */
function origins(raw: string | undefined): string[] {
  return list(raw).map((entry) => {
    if (entry === '*') return entry;
    let url: URL | null = null;
    try { url = new URL(entry); } catch { /* reported below */ }
    if (!url || url.origin === 'null' || url.username || url.password || url.pathname !== '/' || url.search || url.hash) {
      throw new Error(`ALLOWED_ORIGINS entries must be * or origins like https://app.example.com (scheme, host, optional port, no path), got "${entry}"`);
    }
    return url.origin;
  });
}

function positive(name: string, raw: string): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} entries must be positive integers, got "${raw}"`);
  return value;
}
