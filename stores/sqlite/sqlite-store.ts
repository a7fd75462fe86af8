/**
 * The embedded default store: one SQLite file with sqlite-vec for vectors, shared safely by
 * several processes (gateway and actors). WAL lets readers run beside the single writer; every
 * write runs in a `BEGIN IMMEDIATE` transaction (the lock taken up front, never failing half-way
 * with SQLITE_BUSY on a lock upgrade), shared with the writes asked for meanwhile (write-queue.ts).
 */
import { queuedJob } from '../new-job.ts';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import * as sqliteVec from 'sqlite-vec';
import { isTerminal } from '../../schema/domain.ts';
import type { DocumentRecord, EmbedderIdentity, Job, SearchHit, Stage } from '../../schema/domain.ts';
import { checkQueryEmbedder } from '../../schema/embedder-mismatch.ts';
import { checkSearchQuery } from '../store.ts';
import type {
  CollectionInfo, DocumentPage, DocumentQuery, IndexOutcome, IndexRequest, JobPage, JobPatch, JobQuery, NewJob, OutboxEntry,
  OutboxMessage, ResumePoint, SearchQuery, Store, UnchangedOutcome,
} from '../store.ts';
import { claimOutbox, completeOutbox, countOutbox, hasClaimableOutbox, insertOutbox } from './outbox.ts';
import { rowToDocument } from './document-rows.ts';
import type { DocumentRow } from './document-rows.ts';
import { indexDocumentInTransaction, removeChunks } from './index-document.ts';
import { finishUnchangedInTransaction } from './unchanged-document.ts';
import { listDocuments } from './document-list.ts';
import { CHUNK_BATCH, deleteCollectionInSteps } from './collection-deletion.ts';
import { jobToParams, rowToJob } from './job-rows.ts';
import { decodeJobCursor, encodeJobCursor } from '../job-cursor.ts';
import { DuplicateJobError, validateJobPatch, validateJobQuery } from '../job-rules.ts';
import type { JobRow } from './job-rows.ts';
import { migrate } from './migrations.ts';
import { BACKGROUND_WRITER, WriteQueue, type LockWaiting } from './write-queue.ts';
import { useWriteAheadLog } from './write-ahead-log.ts';
import { CHANGE_RETENTION, pruneChanges } from './change-log.ts';
import { SearchPool } from './search-pool.ts';
import { runSearch, type SqliteSearch } from './run-search.ts';
import { DEFAULT_POSTINGS_MB, LexicalPostings } from './lexical-postings.ts';
import { KeptFilterMatches } from './kept-filter-matches.ts';
import { prepared } from './statements.ts';
import { trimLogAfterRestarts, WAL_RESTART_BYTES, WalBound } from './wal-bound.ts';

/** Options of the embedded SQLite store. */
export interface SqliteStoreOptions {
  /** Database file; ':memory:' for tests. Its parent directory is created if missing. */
  readonly path: string;
  /**
   * Whether searches run in worker threads off the event loop (file databases only; default true):
   * one for vector rankings, one for lexical (search-pool.ts). False runs them on the calling thread.
   */
  readonly searchThreads?: boolean;
  /** How this process waits for SQLite's write lock (write-queue.ts); default BACKGROUND_WRITER. */
  readonly lockWaiting?: LockWaiting;
  /**
   * Write-ahead log size past which a background writer starts the log over (wal-bound.ts), in
   * bytes. Default WAL_RESTART_BYTES.
   */
  readonly walRestartBytes?: number;
  /**
   * Collections with at least this many chunks are searched through the approximate (HNSW) index
   * of each search thread; smaller ones, and every search with a filter, exactly. Default 10000.
   */
  readonly annMinChunks?: number;
  /**
   * Up to this many chunks the approximate index of a collection is an exact int8 scan; past it,
   * an HNSW graph. Default FLAT_MAX_CHUNKS (ann-index.ts).
   */
  readonly annFlatMaxChunks?: number;
  /**
   * A query with at most this many non-zero components is scored by the index's int8 columns,
   * exactly, instead of by its scan or graph. Default the dimension / COLUMN_SHARE (vector-columns.ts).
   */
  readonly annColumnsUpTo?: number;
  /**
   * Memory the vector search thread's indexes may take, in MB; past it the least recently searched
   * collections' indexes are saved and dropped. Default DEFAULT_ANN_INDEX_MB (ann-index.ts, 4096).
   */
  readonly annIndexMb?: number;
  /**
   * Chunk changes kept for the approximate indexes to follow (change-log.ts); older ones are
   * pruned by the writers. Default CHANGE_RETENTION.
   */
  readonly changeRetention?: number;
  /**
   * Memory the thread that ranks lexical queries keeps word postings in (lexical-postings.ts);
   * 0 ranks them through FTS5's bm25 alone. Default DEFAULT_POSTINGS_MB (1024).
   */
  readonly lexicalPostingsMb?: number;
  /** Chunk rows a collection's deletion removes per transaction (collection-deletion.ts). Default CHUNK_BATCH. */
  readonly chunkDeleteBatch?: number;
}

/** How long a writer waits for another process's write lock before failing, in ms. */
const BUSY_TIMEOUT_MS = 5000;
/** Collections this large are searched through the approximate index unless a caller asks otherwise. */
const ANN_MIN_CHUNKS = 10_000;

/** Opens (creating and migrating if needed) the store at `options.path`. */
export function openSqliteStore(options: SqliteStoreOptions): Store {
  const inMemory = options.path === ':memory:' || options.path === '';
  if (!inMemory) mkdirSync(dirname(options.path), { recursive: true });
  const db = new Database(options.path, { timeout: BUSY_TIMEOUT_MS });
  try {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    sqliteVec.load(db);
    useWriteAheadLog(db, BUSY_TIMEOUT_MS);
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    migrate(db);
  } catch (error) {
    db.close();
    throw error;
  }
  const annMinChunks = options.annMinChunks ?? ANN_MIN_CHUNKS;
  const postingsBytes = (options.lexicalPostingsMb ?? DEFAULT_POSTINGS_MB) * 1024 * 1024;
  const searchPool = inMemory || options.searchThreads === false ? null : new SearchPool(options.path, BUSY_TIMEOUT_MS, {
    minChunks: annMinChunks,
    ...(options.annFlatMaxChunks === undefined ? {} : { flatMaxChunks: options.annFlatMaxChunks }),
    ...(options.annColumnsUpTo === undefined ? {} : { columnsUpTo: options.annColumnsUpTo }),
    ...(options.annIndexMb === undefined ? {} : { budgetBytes: Math.round(options.annIndexMb * 1024 * 1024) }),
  }, postingsBytes);
  const lockWaiting = options.lockWaiting ?? BACKGROUND_WRITER;
  const walLimit = options.walRestartBytes ?? WAL_RESTART_BYTES;
  if (!inMemory) trimLogAfterRestarts(db, walLimit);
  // Only a writer whose thread may block restarts the log: the restart waits there (wal-bound.ts).
  const walBound = inMemory || !lockWaiting.mayBlock ? null : new WalBound(db, `${options.path}-wal`, walLimit, BUSY_TIMEOUT_MS);
  return new SqliteStore(db, searchPool, options.changeRetention ?? CHANGE_RETENTION, lockWaiting, postingsBytes, walBound, options.chunkDeleteBatch ?? CHUNK_BATCH);
}

class SqliteStore implements Store {
  private readonly writes: WriteQueue;
  /** Lexical postings for searches run on this connection (without search threads), made on the first. */
  private postings: LexicalPostings | null = null;
  /** The chunks of filters searched on this connection (without search threads). */
  private readonly filters = new KeptFilterMatches();

  constructor(
    private readonly db: Database.Database,
    private readonly searchPool: SearchPool | null,
    private readonly changeRetention: number,
    lockWaiting: LockWaiting,
    private readonly postingsBytes: number,
    walBound: WalBound | null,
    private readonly chunkDeleteBatch: number,
  ) {
    this.writes = new WriteQueue(db, BUSY_TIMEOUT_MS, lockWaiting, walBound === null ? undefined : () => walBound.afterCommit());
  }

  async createJob(job: NewJob): Promise<Job> {
    return this.insertJob(job, null);
  }

  async acceptJob(job: NewJob, message: OutboxMessage): Promise<Job> {
    return this.insertJob(job, message);
  }

  async claimOutbox(limit: number, leaseMs: number): Promise<OutboxEntry[]> {
    if (!hasClaimableOutbox(this.db)) return [];
    return this.write(() => claimOutbox(this.db, limit, leaseMs), 'claimOutbox');
  }

  async completeOutbox(ids: readonly string[]): Promise<void> {
    if (ids.length > 0) await this.write(() => completeOutbox(this.db, ids), 'completeOutbox');
  }

  async countOutbox(): Promise<number> {
    return countOutbox(this.db);
  }

  private async insertJob(job: NewJob, message: OutboxMessage | null): Promise<Job> {
    const now = new Date();
    const created = queuedJob(job, now);
    try {
      await this.write(() => {
        prepared(this.db, 
          `INSERT INTO jobs (id, collection, document_id, status, stage, progress, attempts, error, chunk_count,
             priority, seq, trace_id, created_at, updated_at, finished_at)
           VALUES (@id, @collection, @document_id, @status, @stage, @progress, @attempts, @error, @chunk_count,
             @priority, @seq, @trace_id, @created_at, @updated_at, @finished_at)`,
        ).run(jobToParams(created));
        if (message) insertOutbox(this.db, created.id, message);
      }, message ? 'acceptJob' : 'createJob');
    } catch (error) {
      if (isConstraintError(error, 'SQLITE_CONSTRAINT_PRIMARYKEY')) {
        throw new DuplicateJobError(job.id, { cause: error });
      }
      throw error;
    }
    return created;
  }

  async getJob(id: string): Promise<Job | null> {
    const row = prepared(this.db, 'SELECT * FROM jobs WHERE id = ?').get(id) as JobRow | undefined;
    return row === undefined ? null : rowToJob(row);
  }

  async listJobs(query: JobQuery): Promise<JobPage> {
    validateJobQuery(query);
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (query.collection !== undefined) {
      where.push('collection = ?');
      params.push(query.collection);
    }
    if (query.collections !== undefined) {
      where.push(`collection IN (SELECT value FROM json_each(?))`);
      params.push(JSON.stringify(query.collections));
    }
    if (query.documentId !== undefined) {
      where.push('document_id = ?');
      params.push(query.documentId);
    }
    if (query.status !== undefined) {
      where.push('status = ?');
      params.push(query.status);
    }
    if (query.after !== undefined) {
      const cursor = decodeJobCursor(query.after);
      // A row value, so the page starts with a seek in the index; the equivalent OR scanned every newer job.
      where.push('(created_at, id) < (?, ?)');
      params.push(cursor.createdAt, cursor.id);
    }
    // One row more than asked tells whether another page exists.
    const rows = prepared(this.db, 
      `SELECT * FROM jobs ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY created_at DESC, id DESC LIMIT ?`,
    ).all(...params, query.first + 1) as JobRow[];
    const jobs = rows.slice(0, query.first).map(rowToJob);
    return { jobs: jobs.map((job) => ({ job, cursor: encodeJobCursor(job) })), hasNextPage: rows.length > query.first };
  }

  async updateJob(id: string, patch: JobPatch): Promise<Job | null> {
    validateJobPatch(patch);
    return this.write(() => {
      const row = prepared(this.db, 'SELECT * FROM jobs WHERE id = ?').get(id) as JobRow | undefined;
      if (row === undefined) return null;
      const job = rowToJob(row);
      // A late event never overwrites a finished job; only an explicit retry forces it.
      if (isTerminal(job.status) && patch.force !== true) return job;
      const now = Date.now();
      const status = patch.status ?? job.status;
      const progress = patch.progress === undefined
        ? job.progress
        : patch.force === true ? patch.progress : Math.max(job.progress, patch.progress);
      const finishedAt = !isTerminal(status)
        ? null
        : patch.status !== undefined || job.finishedAt === null ? new Date(now) : job.finishedAt;
      const updated: Job = {
        ...job,
        status,
        stage: patch.stage === undefined ? job.stage : patch.stage,
        progress,
        attempts: patch.attempts ?? job.attempts,
        error: patch.error === undefined ? job.error : patch.error,
        chunkCount: patch.chunkCount === undefined ? job.chunkCount : patch.chunkCount,
        seq: job.seq + 1,
        updatedAt: new Date(now),
        finishedAt,
      };
      prepared(this.db, 
        `UPDATE jobs SET status = @status, stage = @stage, progress = @progress, attempts = @attempts, error = @error,
           chunk_count = @chunk_count, seq = @seq, updated_at = @updated_at, finished_at = @finished_at
         WHERE id = @id`,
      ).run(jobToParams(updated));
      return updated;
    }, `updateJob ${patch.status ?? 'progress'}`);
  }

  async listStalledJobs(before: Date, limit: number): Promise<Job[]> {
    const rows = prepared(this.db, 
      `SELECT * FROM jobs WHERE status IN ('QUEUED', 'RUNNING') AND updated_at < ? ORDER BY updated_at ASC LIMIT ?`,
    ).all(before.getTime(), limit) as JobRow[];
    return rows.map(rowToJob);
  }

  async saveResumePoint(point: Omit<ResumePoint, 'savedAt'>): Promise<void> {
    await this.write(() => prepared(this.db, 
      `INSERT INTO resume_points (job_id, stage, message, saved_at)
       SELECT @jobId, @stage, @message, @now WHERE EXISTS (SELECT 1 FROM jobs WHERE id = @jobId)
       ON CONFLICT (job_id) DO UPDATE SET stage = excluded.stage, message = excluded.message, saved_at = excluded.saved_at`,
    ).run({ jobId: point.jobId, stage: point.stage, message: point.message, now: Date.now() }), 'saveResumePoint');
  }

  async getResumePoint(jobId: string): Promise<ResumePoint | null> {
    const row = prepared(this.db, 'SELECT * FROM resume_points WHERE job_id = ?').get(jobId) as
      | { job_id: string; stage: string; message: string; saved_at: number }
      | undefined;
    return row === undefined ? null : { jobId: row.job_id, stage: row.stage as Stage, message: row.message, savedAt: new Date(row.saved_at) };
  }

  async getDocument(collection: string, id: string): Promise<DocumentRecord | null> {
    const row = prepared(this.db, 'SELECT * FROM documents WHERE collection = ? AND id = ?').get(collection, id) as DocumentRow | undefined;
    return row === undefined ? null : rowToDocument(row);
  }

  async listDocuments(query: DocumentQuery): Promise<DocumentPage> {
    return listDocuments(this.db, query);
  }

  async indexDocument(request: IndexRequest): Promise<IndexOutcome> {
    return this.writeChunks(() => indexDocumentInTransaction(this.db, request, Date.now()), 'indexDocument');
  }

  async finishUnchanged(jobId: string, fingerprint: string): Promise<UnchangedOutcome> {
    return this.write(() => finishUnchangedInTransaction(this.db, jobId, fingerprint, Date.now()), 'finishUnchanged');
  }

  async search(query: SearchQuery): Promise<SearchHit[]> {
    const { mode, vector, text } = checkSearchQuery(query);
    const collection = prepared(this.db, 
      'SELECT id, created_at, embedder_name, embedder_dimension FROM collections WHERE name = ?',
    ).get(query.collection) as { id: number; created_at: number; embedder_name: string; embedder_dimension: number } | undefined;
    if (collection === undefined) return [];
    checkQueryEmbedder(query.collection, { name: collection.embedder_name, dimension: collection.embedder_dimension }, vector, query.embedder);
    const search: SqliteSearch = {
      collection: query.collection,
      collectionRowId: collection.id,
      collectionCreatedAt: collection.created_at,
      dimension: collection.embedder_dimension,
      mode,
      vector,
      text,
      k: query.k,
      ...(query.filter === undefined ? {} : { filter: query.filter }),
      ...(query.lexicalWeight === undefined ? {} : { lexicalWeight: query.lexicalWeight }),
    };
    if (this.searchPool) return this.searchPool.search(search);
    if (this.postings === null && this.postingsBytes > 0) this.postings = new LexicalPostings(this.db, this.postingsBytes);
    return runSearch(this.db, search, { postings: this.postings, filters: this.filters });
  }

  async getCollection(name: string): Promise<CollectionInfo | null> {
    // Chunks summed from the documents' own counts (kept by the index write and the delete), not
    // counted: this runs on the gateway's event loop, and counting 1M chunk rows holds it ~70 ms.
    const row = prepared(this.db,
      `SELECT embedder_name, embedder_dimension,
         (SELECT count(*) FROM documents WHERE collection = @name) AS document_count,
         (SELECT coalesce(sum(chunk_count), 0) FROM documents WHERE collection = @name) AS chunk_count
       FROM collections WHERE name = @name`,
    ).get({ name }) as
      | { embedder_name: string; embedder_dimension: number; document_count: number; chunk_count: number }
      | undefined;
    if (row === undefined) return null;
    return {
      name,
      embedder: { name: row.embedder_name, dimension: row.embedder_dimension },
      documentCount: row.document_count,
      chunkCount: row.chunk_count,
    };
  }

  async listCollections(names?: readonly string[]): Promise<string[]> {
    const all = (prepared(this.db, 'SELECT name FROM collections ORDER BY name').all() as { name: string }[]).map((row) => row.name);
    return names === undefined ? all : all.filter((name) => names.includes(name));
  }

  async getCollectionEmbedder(name: string): Promise<EmbedderIdentity | null> {
    const row = prepared(this.db, 'SELECT embedder_name, embedder_dimension FROM collections WHERE name = ?').get(name) as
      | { embedder_name: string; embedder_dimension: number }
      | undefined;
    return row === undefined ? null : { name: row.embedder_name, dimension: row.embedder_dimension };
  }

  async countChunks(collection: string, documentId: string): Promise<number> {
    const row = prepared(this.db, 'SELECT count(*) AS n FROM chunks WHERE collection = ? AND document_id = ?')
      .get(collection, documentId) as { n: number };
    return row.n;
  }

  async deleteDocument(collection: string, id: string): Promise<boolean> {
    return this.writeChunks(() => {
      removeChunks(this.db, collection, id);
      return prepared(this.db, 'DELETE FROM documents WHERE collection = ? AND id = ?').run(collection, id).changes > 0;
    });
  }

  async deleteCollection(name: string): Promise<number> {
    return deleteCollectionInSteps(this.db, (fn) => this.writeChunks(fn, 'deleteCollection'), name, this.chunkDeleteBatch);
  }

  async close(): Promise<void> {
    await this.writes.drain();
    await this.searchPool?.close();
    if (this.db.open) this.db.close();
  }

  /**
   * Runs `fn` in a BEGIN IMMEDIATE transaction shared with the other writes asked for meanwhile
   * (group commit, write-queue.ts); resolves once committed.
   */
  private write<T>(fn: () => T, operation = 'other'): Promise<T> {
    return this.writes.run(operation, fn);
  }

  /** A write that changes chunks (and so appends to chunk_changes): prunes the sequence in the same transaction. */
  private writeChunks<T>(fn: () => T, operation = 'other'): Promise<T> {
    return this.write(() => {
      const result = fn();
      pruneChanges(this.db, this.changeRetention);
      return result;
    }, operation);
  }
}

function isConstraintError(error: unknown, code: string): boolean {
  return error instanceof Error && (error as Error & { code?: unknown }).code === code;
}
