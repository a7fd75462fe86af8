/**
 * The store port: everything the gateway and the actors need from persistence.
 * Implementations: the embedded SQLite store (default) and MongoDB Atlas Vector Search.
 * Every implementation passes the same contract suite (test/store-contract.ts).
 */
import type {
  DocumentRecord, EmbedderIdentity, IndexedChunk, Job, JobStatus, Metadata, Priority, SearchHit, SearchMode, Stage,
} from '../schema/domain.ts';
import type { MetadataFilter } from '../schema/metadata-filter.ts';
import { SEARCH_MODES } from '../schema/domain.ts';
import { ContractError } from '../schema/contract-error.ts';

/** What the gateway knows when it accepts a job. */
export interface NewJob {
  readonly id: string;
  readonly collection: string;
  readonly documentId: string;
  readonly priority: Priority;
  readonly traceId?: string | null;
  /**
   * The stage its first message goes to (FETCH for a URL, PARSE for inline content), recorded
   * while it is QUEUED so that `job(id)` and the stall watchdog name where it waits; none for a
   * job created without a message.
   */
  readonly stage?: Stage | null;
}

/**
 * A change to a job. Applied only while the job is not terminal (a late event never
 * overwrites SUCCEEDED, FAILED, CANCELLED or DEAD_LETTERED), unless `force` is set
 * (used by an explicit retry of a finished job).
 */
export interface JobPatch {
  readonly status?: JobStatus;
  readonly stage?: Stage | null;
  readonly progress?: number;
  readonly attempts?: number;
  readonly error?: string | null;
  readonly chunkCount?: number | null;
  readonly force?: boolean;
}

export interface JobQuery {
  readonly collection?: string;
  /** Restrict to these collections (access control); undefined means all. */
  readonly collections?: readonly string[];
  /**
   * Only the jobs of this document id (used to cancel a deleted document's running jobs). A
   * document id names a document only within a collection: give `collection` with it.
   */
  readonly documentId?: string;
  readonly status?: JobStatus;
  readonly first: number;
  /** Opaque cursor from a previous page's `endCursor`. */
  readonly after?: string;
}

export interface JobPage {
  readonly jobs: readonly { job: Job; cursor: string }[];
  readonly hasNextPage: boolean;
}

/** A page of a collection's documents, by id ascending (Store.listDocuments). */
export interface DocumentQuery {
  readonly collection: string;
  readonly first: number;
  /** Only documents whose id comes after this one. */
  readonly afterId?: string;
  /** Only documents whose id starts with this (`file:/docs/` for the files of a folder). */
  readonly idPrefix?: string;
}

export interface DocumentPage {
  readonly documents: readonly DocumentRecord[];
  readonly hasNextPage: boolean;
}

/** The document fields written by the index stage; (collection, id) is the document's identity. */
export interface DocumentVersion {
  readonly id: string;
  readonly collection: string;
  readonly title: string | null;
  readonly mimeType: string | null;
  readonly sourceUrl: string | null;
  readonly metadata: Metadata;
  readonly contentHash: string | null;
  /** See DocumentRecord.fingerprint; absent from messages made before it was kept. */
  readonly fingerprint?: string | null;
}

/** An index write; `document` must be the job's own (collection, documentId), or it is refused. */
export interface IndexRequest {
  readonly jobId: string;
  readonly document: DocumentVersion;
  readonly embedder: EmbedderIdentity;
  readonly chunks: readonly IndexedChunk[];
}

/**
 * Outcome of indexing. `indexed`: chunks replaced and the job SUCCEEDED in the same transaction.
 * `skipped`: the job was already terminal (cancelled, or a redelivery after success): nothing written.
 */
export type IndexOutcome =
  | { readonly kind: 'indexed'; readonly job: Job }
  | { readonly kind: 'skipped'; readonly job: Job };

/**
 * Outcome of finishing a job whose document is unchanged (Store.finishUnchanged). `unchanged`:
 * the job SUCCEEDED with the document's chunks, nothing else written. `changed`: the document is
 * not indexed with that fingerprint (new, changed, deleted), nothing written: process it.
 * `finished`: the job was terminal already (cancelled, say), nothing written.
 */
export type UnchangedOutcome =
  | { readonly kind: 'unchanged'; readonly job: Job }
  | { readonly kind: 'changed' }
  | { readonly kind: 'finished'; readonly job: Job };

/**
 * A search in one collection. VECTOR needs `vector`, LEXICAL needs `text`, HYBRID both (the
 * query text and its embedding). `mode` defaults to VECTOR here; the API's default is HYBRID.
 * `k` and `filter` mean the same in every mode: at most k hits, each matching the filter.
 */
export interface SearchQuery {
  readonly collection: string;
  readonly mode?: SearchMode;
  readonly vector?: Float32Array;
  readonly text?: string;
  /**
   * The embedder that made `vector`: a collection built with another is refused
   * (EmbedderMismatchError) by the same lookup that finds the collection. Without it only the
   * vector's dimension is checked.
   */
  readonly embedder?: EmbedderIdentity;
  readonly k: number;
  readonly filter?: MetadataFilter;
  /** HYBRID only: the lexical ranking's weight from 0 to 1, the vector ranking's is the rest (default FUSION_WEIGHTS). */
  readonly lexicalWeight?: number;
}

/** Thrown when a store cannot rank by the requested mode (the gateway answers BAD_USER_INPUT). */
export class UnsupportedSearchModeError extends Error {
  constructor(
    readonly store: string,
    readonly mode: SearchMode,
    message = `search mode ${mode} is not available with the ${store} store: use mode VECTOR`,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'UnsupportedSearchModeError';
  }
}

/** The parts a mode needs, or an error naming the missing one. */
export function checkSearchQuery(query: SearchQuery): { mode: SearchMode; vector: Float32Array | null; text: string | null } {
  const mode = query.mode ?? 'VECTOR';
  if (!SEARCH_MODES.includes(mode)) throw new Error(`mode must be one of ${SEARCH_MODES.join(', ')}, got ${String(mode)}`);
  const vector = query.vector ?? null;
  const text = query.text ?? null;
  if (mode !== 'LEXICAL' && vector === null) throw new Error(`vector: required in ${mode} mode`);
  if (mode !== 'VECTOR' && (text === null || text.trim() === '')) throw new Error(`text: required in ${mode} mode`);
  checkLexicalWeight(mode, query.lexicalWeight);
  return { mode, vector, text };
}

/** A lexical weight is for HYBRID only, from 0 to 1 (ContractError naming `lexicalWeight`; the API answers BAD_USER_INPUT). */
export function checkLexicalWeight(mode: SearchMode, lexicalWeight: number | undefined): void {
  if (lexicalWeight === undefined) return;
  if (mode !== 'HYBRID') throw new ContractError('lexicalWeight', `applies to HYBRID only, not ${mode}`);
  if (!(lexicalWeight >= 0 && lexicalWeight <= 1)) throw new ContractError('lexicalWeight', `must be from 0 to 1, got ${lexicalWeight}`);
}

export interface CollectionInfo {
  readonly name: string;
  readonly embedder: EmbedderIdentity;
  readonly documentCount: number;
  readonly chunkCount: number;
}

/**
 * The input message of the stage a job stopped in (failed, dead-lettered, cancelled or stalled),
 * kept so that retryJob resumes there instead of starting over.
 */
export interface ResumePoint {
  readonly jobId: string;
  readonly stage: Stage;
  /** The stage's input message, unchanged (JSON text). */
  readonly message: string;
  readonly savedAt: Date;
}

/**
 * A message committed in the same transaction as its job (a transactional outbox): the relay
 * (messaging/outbox-relay.ts) publishes it with a broker confirm and then completes it.
 */
export interface OutboxMessage {
  readonly exchange: string;
  readonly routingKey: string;
  readonly content: Buffer;
  /** AMQP publish options (priority, contentType, messageId, type, headers with the trace context). */
  readonly options: Readonly<Record<string, unknown>>;
  /** AMQP priority: higher is claimed first. */
  readonly priority: number;
}

/** An outbox message as stored, with the id that completes it. */
export interface OutboxEntry extends OutboxMessage {
  readonly id: string;
  readonly jobId: string;
}

export interface Store {
  createJob(job: NewJob): Promise<Job>;
  /**
   * The point of acceptance: records the job QUEUED and its first message in one transaction, so
   * from the moment it returns the job survives any crash and any broker outage.
   */
  acceptJob(job: NewJob, message: OutboxMessage): Promise<Job>;
  /**
   * Leases up to `limit` unpublished outbox messages whose lease has expired, for `leaseMs`
   * (highest priority first, then oldest): several relays never publish one message at once,
   * and a relay that died leaves its messages to the next after the lease.
   */
  claimOutbox(limit: number, leaseMs: number): Promise<OutboxEntry[]>;
  /** Removes outbox messages the broker confirmed. */
  completeOutbox(ids: readonly string[]): Promise<void>;
  /** Outbox messages not yet published (the acceptance backlog). */
  countOutbox(): Promise<number>;
  getJob(id: string): Promise<Job | null>;
  listJobs(query: JobQuery): Promise<JobPage>;
  /** Applies the patch if allowed (see JobPatch); returns the job as it now is, or null if unknown. */
  updateJob(id: string, patch: JobPatch): Promise<Job | null>;
  /** QUEUED or RUNNING jobs not changed since `before`, least recently changed first, at most `limit`. */
  listStalledJobs(before: Date, limit: number): Promise<Job[]>;
  /** Keeps the job's resume point, replacing an earlier one. Unknown jobs are ignored. */
  saveResumePoint(point: Omit<ResumePoint, 'savedAt'>): Promise<void>;
  getResumePoint(jobId: string): Promise<ResumePoint | null>;

  /**
   * A document is identified by (collection, id) in every call: the same id in two collections
   * names two unrelated documents, and no call given one collection reads or writes another's.
   */
  getDocument(collection: string, id: string): Promise<DocumentRecord | null>;
  /** One collection's documents, id ascending, at most `first`; no other collection's. */
  listDocuments(query: DocumentQuery): Promise<DocumentPage>;
  /**
   * Replaces the document's chunks and vectors and marks the job SUCCEEDED, atomically: reads of
   * the document, its chunks and the job see all of it or none of it. Throws
   * JobDocumentMismatchError, writing nothing, when the document is not the job's own.
   * Search indexes may lag: SQLite's are part of the same transaction, but Atlas Search indexes
   * follow the collection's change stream, so on MongoDB `search` can return the old chunks (or
   * none) for a moment after this returns. Search is eventually consistent there, never atomic.
   */
  indexDocument(request: IndexRequest): Promise<IndexOutcome>;
  /**
   * Marks the job SUCCEEDED at stage PARSE, with its document's chunk count, when that document
   * (the job's own collection and document id) is indexed with `fingerprint`: the same source made
   * into chunks the same way, so processing it again would write what is there. Atomic like
   * indexDocument: the check and the job's end are one transaction. Throws for an unknown job.
   */
  finishUnchanged(jobId: string, fingerprint: string): Promise<UnchangedOutcome>;
  /**
   * The best chunks within one collection by the query's mode (see SearchQuery); the metadata
   * filter is applied inside each ranking, never by trimming a cut list.
   */
  search(query: SearchQuery): Promise<SearchHit[]>;
  getCollection(name: string): Promise<CollectionInfo | null>;
  /** The names of the collections there are (those with an embedder registered), sorted; only among `names` when given. */
  listCollections(names?: readonly string[]): Promise<string[]>;
  /** The embedder a collection was built with, or null: getCollection without the counts, for hot paths. */
  getCollectionEmbedder(name: string): Promise<EmbedderIdentity | null>;
  /** Number of chunks stored for a document (0 when unknown). */
  countChunks(collection: string, documentId: string): Promise<number>;

  /**
   * Removes a document with its chunks and vectors; true when it existed. Its jobs stay (history).
   * Callers cancel the document's running jobs first, so a late index write is refused.
   */
  deleteDocument(collection: string, id: string): Promise<boolean>;
  /**
   * Removes a whole collection: its documents, chunks, vectors, vector index and registered
   * embedder (a later ingest may use another embedder). Returns the number of documents removed
   * (0 for an unknown collection). Jobs stay; callers cancel the running ones first.
   */
  deleteCollection(name: string): Promise<number>;

  close(): Promise<void>;
}

/**
 * Thrown when an index request names another document than its job's (collection, documentId):
 * a job may only ever write its own document, so no message can move or replace another
 * collection's. Not retryable.
 */
export class JobDocumentMismatchError extends Error {
  /** Retrying cannot help: the message names another document than its job's. */
  readonly nonRetryable = true;

  constructor(
    readonly jobId: string,
    readonly job: { readonly collection: string; readonly documentId: string },
    readonly requested: { readonly collection: string; readonly id: string },
  ) {
    super(`document: job "${jobId}" indexes document "${job.documentId}" of collection "${job.collection}", ` +
      `not "${requested.id}" of "${requested.collection}"`);
    this.name = 'JobDocumentMismatchError';
  }
}
