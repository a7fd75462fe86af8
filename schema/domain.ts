/**
 * Shared domain types: the vocabulary of jobs, stages and priorities used by the
 * gateway, the actors and the stores. GraphQL enums in schema.graphql mirror these.
 */

/** Pipeline stages, in the order a job moves through them. */
export const STAGES = ['FETCH', 'PARSE', 'CHUNK', 'EMBED', 'INDEX'] as const;
export type Stage = (typeof STAGES)[number];

/**
 * The stages a job's first message goes to: FETCH for a URL, PARSE for content sent inline, whose
 * bytes the gateway already holds (issue 15). Accepted work waits in these stages' queues.
 */
export const ENTRY_STAGES: readonly Stage[] = ['FETCH', 'PARSE'];

export const PRIORITIES = ['LOW', 'NORMAL', 'HIGH', 'URGENT'] as const;
export type Priority = (typeof PRIORITIES)[number];

export const JOB_STATUSES = ['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED', 'DEAD_LETTERED'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/** Statuses a job never leaves. */
export const TERMINAL_STATUSES: readonly JobStatus[] = ['SUCCEEDED', 'FAILED', 'CANCELLED', 'DEAD_LETTERED'];

export function isTerminal(status: JobStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

/**
 * AMQP priority for each GraphQL priority. Stage queues declare `x-max-priority`
 * equal to the highest value: RabbitMQ keeps one internal queue per level, so few levels are cheaper.
 */
export const AMQP_PRIORITY: Readonly<Record<Priority, number>> = { LOW: 1, NORMAL: 2, HIGH: 3, URGENT: 4 };
export const MAX_AMQP_PRIORITY = 4;

/** The stage after `stage`, or undefined after the last. */
export function nextStage(stage: Stage): Stage | undefined {
  return STAGES[STAGES.indexOf(stage) + 1];
}

/** Overall progress (0..1) when `stage` starts and when it ends: embedding dominates the work. */
export const STAGE_PROGRESS: Readonly<Record<Stage, readonly [start: number, end: number]>> = {
  FETCH: [0, 0.1],
  PARSE: [0.1, 0.25],
  CHUNK: [0.25, 0.35],
  EMBED: [0.35, 0.9],
  INDEX: [0.9, 1],
};

/** Collection names: lower-case letters, digits, `_` and `-`, 1 to 64 characters. */
export const COLLECTION_NAME = /^[a-z0-9_-]{1,64}$/;

/** Arbitrary JSON object attached to documents and copied to their chunks. */
export type Metadata = Readonly<Record<string, unknown>>;

/** A document's metadata, as JSON, at most this many bytes: what a client may give, and what the document's own front matter adds. */
export const MAX_METADATA_BYTES = 16 * 1024;
/** A document's title, at most this many characters: a client's, or one its front matter gives. */
export const MAX_TITLE_CHARACTERS = 1000;

/** A job as stored: the source of truth for its status. */
export interface Job {
  readonly id: string;
  readonly collection: string;
  readonly documentId: string;
  readonly status: JobStatus;
  readonly stage: Stage | null;
  readonly progress: number;
  readonly attempts: number;
  readonly error: string | null;
  readonly chunkCount: number | null;
  readonly priority: Priority;
  /** Incremented on every change; lets subscribers drop events older than what they saw. */
  readonly seq: number;
  readonly traceId: string | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly finishedAt: Date | null;
}

export type DocumentStatus = 'PENDING' | 'INDEXED';

/** A document as stored: one per (collection, document id). */
export interface DocumentRecord {
  readonly id: string;
  readonly collection: string;
  readonly title: string | null;
  readonly mimeType: string | null;
  readonly sourceUrl: string | null;
  readonly status: DocumentStatus;
  readonly chunkCount: number;
  readonly metadata: Metadata;
  /** Hash of the content last indexed. */
  readonly contentHash: string | null;
  /**
   * What its chunks were made from: source and chunk settings (services/document-fingerprint.ts);
   * an ingest with the same finishes at once. Null for documents indexed before it was kept.
   */
  readonly fingerprint: string | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** A chunk ready for indexing: its text, position and embedding. */
export interface IndexedChunk {
  readonly id: string;
  readonly ordinal: number;
  readonly text: string;
  readonly heading: string | null;
  readonly vector: Float32Array;
}

/** How a search ranks chunks: by vector similarity, by lexical (BM25) relevance, or both fused. */
export const SEARCH_MODES = ['HYBRID', 'VECTOR', 'LEXICAL'] as const;
export type SearchMode = (typeof SEARCH_MODES)[number];

/** A ranking signal a hit can be found by. */
export type SearchSignal = 'VECTOR' | 'LEXICAL';

/** Where one signal ranked a hit: rank 1 is its best; score is that signal's own (cosine, or BM25 with higher better). */
export interface SignalMatch {
  readonly signal: SearchSignal;
  readonly rank: number;
  readonly score: number;
}

/**
 * One search result. `score` is higher-is-better: cosine similarity in VECTOR mode, BM25
 * relevance in LEXICAL mode, the fused score (stores/rank-fusion.ts) in HYBRID mode. `signals`
 * lists the signals that found the hit and its rank in each.
 */
export interface SearchHit {
  readonly chunkId: string;
  readonly documentId: string;
  readonly text: string;
  readonly score: number;
  readonly ordinal: number;
  readonly title: string | null;
  /** The chunk's section: its heading path joined with " > ", or null before the first heading. */
  readonly heading: string | null;
  readonly metadata: Metadata;
  readonly signals: readonly SignalMatch[];
}

/** The embedder a collection was indexed with; queries must use the same. */
export interface EmbedderIdentity {
  readonly name: string;
  readonly dimension: number;
}
