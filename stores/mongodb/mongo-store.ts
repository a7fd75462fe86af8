/**
 * The production store: MongoDB Atlas (or Atlas Local) with Atlas Vector Search.
 *
 * Collections: `jobs`, `documents`, `chunks` (text, metadata and the vector as BinData float32)
 * and `collections` (the registry: each collection's embedder and the metadata paths seen in
 * it). The store creates its own regular indexes and one vector search index per embedder
 * dimension, keeps the latter's filter fields in step with the metadata it has seen without
 * making writers wait for rebuilds (index-sync.ts), and searches with `$vectorSearch`, the
 * collection and metadata filter inside the stage so it narrows the candidates before ranking;
 * exactly (ENN) where at most 10,000 chunks can match. Writes use majority write concern; job
 * changes are single conditional updates. Search indexes are eventually consistent: a chunk is
 * found a moment after its job succeeded, not at once (see Store.indexDocument).
 */
import { decodeJobCursor, encodeJobCursor } from '../job-cursor.ts';
import { DuplicateJobError, validateJobPatch, validateJobQuery } from '../job-rules.ts';
import { queuedJob } from '../new-job.ts';
import { MongoClient, MongoServerError } from 'mongodb';
import { deleteCollection, deleteDocument, type CollectionDeletionLimits } from './delete-documents.ts';
import { documentKey, prepareDocumentIdentity } from './document-identity.ts';
import { getResumePoint, saveResumePoint, type ResumePointDocument } from './resume-points.ts';
import type { Collection, Db, Document, Filter } from 'mongodb';
import type { DocumentRecord, EmbedderIdentity, Job, SearchHit } from '../../schema/domain.ts';
import { checkQueryEmbedder } from '../../schema/embedder-mismatch.ts';
import { checkSearchQuery } from '../store.ts';
import { searchChunks } from './hybrid-search.ts';
import type {
  CollectionInfo, DocumentPage, DocumentQuery, IndexOutcome, IndexRequest, JobPage, JobPatch, JobQuery, NewJob, ResumePoint, SearchQuery, Store, OutboxEntry, OutboxMessage,
  UnchangedOutcome,
} from '../store.ts';
import { indexDocument } from './index-document.ts';
import { finishUnchanged } from './unchanged-document.ts';
import { MongoOutbox } from './outbox.ts';
import type { ChunkDocument, CollectionDocument, StoreCollections, StoredDocument } from './index-document.ts';
import {
  afterCursor, documentToJob, jobToDocument, patchFilter, patchUpdate,
} from './job-documents.ts';
import type { JobDocument } from './job-documents.ts';
import { metadataPaths, vectorSearchFilter } from './metadata-filter.ts';
import { VectorIndexes } from './index-sync.ts';
import { TextIndex } from './text-index.ts';
import { assertSearchSupported } from './search-support.ts';
import { MAX_NUM_CANDIDATES } from './vector-query.ts';
import type { Quantization } from './vector-index.ts';

/** How often an index build is polled while waiting for it, in ms, unless a caller (a test) asks otherwise. */
const INDEX_POLL_MS = 500;

/** Options of the MongoDB store. */
export interface MongoStoreOptions {
  /** Connection string, e.g. mongodb://127.0.0.1:27017/?directConnection=true (MONGODB_URI). */
  readonly uri: string;
  /** Database name (MONGODB_DB). */
  readonly db: string;
  /** `numCandidates` = this × k for `$vectorSearch` (more = better recall, slower) (MONGODB_NUM_CANDIDATES_FACTOR). */
  readonly numCandidatesFactor: number;
  /** How long to wait for a vector index to become queryable, in ms (MONGODB_INDEX_WAIT_MS). */
  readonly indexWaitMs: number;
  /** Poll interval while waiting for an index, in ms; default INDEX_POLL_MS (tests poll faster). */
  readonly indexPollMs?: number;
  /** Automatic quantization inside the vector indexes (MONGODB_QUANTIZATION); default `none`. */
  readonly quantization?: Quantization;
  /** When a collection's deletion takes steps, and how large they are; tests make them small. */
  readonly collectionDeletion?: CollectionDeletionLimits;
}

export { MAX_NUM_CANDIDATES };

/**
 * Connects, checks that the deployment has search support (failing with a hint at Atlas Local
 * when it has not), and creates the collections and indexes. Close the store to disconnect.
 */
export async function openMongoStore(options: MongoStoreOptions): Promise<Store> {
  const client = new MongoClient(options.uri, { writeConcern: { w: 'majority' }, serverSelectionTimeoutMS: 10_000 });
  try {
    await client.connect();
    const db = client.db(options.db);
    const hello = await db.admin().command({ hello: 1 });
    // Transactions need a replica set or a sharded cluster; Atlas and Atlas Local are both.
    const transactions = typeof hello.setName === 'string' || hello.msg === 'isdbgrid';
    const { version } = await db.admin().command({ buildInfo: 1 });
    const collections = await prepare(db);
    await assertSearchSupported(collections.chunks, typeof version === 'string' ? version : null);
    const outbox = await MongoOutbox.open(db);
    return new MongoStore(client, collections, outbox, transactions, typeof version === 'string' ? version : null, {
      numCandidatesFactor: options.numCandidatesFactor,
      indexWaitMs: options.indexWaitMs,
      indexPollMs: options.indexPollMs ?? INDEX_POLL_MS,
      quantization: options.quantization ?? 'none',
      collectionDeletion: options.collectionDeletion,
    });
  } catch (error) {
    await client.close();
    throw error;
  }
}

async function prepare(db: Db): Promise<StoreCollections> {
  for (const name of ['jobs', 'documents', 'chunks', 'collections', 'resume_points']) {
    try {
      await db.createCollection(name);
    } catch (error) {
      if (!(error instanceof MongoServerError && error.code === 48)) throw error; // NamespaceExists
    }
  }
  const collections: StoreCollections = {
    jobs: db.collection<JobDocument>('jobs'),
    documents: db.collection<StoredDocument>('documents'),
    chunks: db.collection<ChunkDocument>('chunks'),
    registry: db.collection<CollectionDocument>('collections'),
    resumePoints: db.collection<ResumePointDocument>('resume_points'),
  };
  // The job list pages newest first, optionally by collection, status or document.
  await collections.jobs.createIndexes([
    { key: { createdAt: -1, _id: -1 } },
    { key: { collection: 1, createdAt: -1, _id: -1 } },
    { key: { status: 1, createdAt: -1, _id: -1 } },
    // Deleting a document cancels that collection's running jobs of its id.
    { key: { collection: 1, documentId: 1, createdAt: -1 } },
    // The stall watchdog looks for unfinished jobs by their last change.
    { key: { status: 1, updatedAt: 1 } },
  ]);
  await collections.documents.createIndex({ collection: 1 });
  await collections.chunks.createIndex({ collection: 1 });
  await prepareDocumentIdentity(collections.documents, collections.chunks);
  await collections.registry.createIndex({ dimension: 1 });
  return collections;
}

interface Tuning {
  readonly numCandidatesFactor: number;
  readonly indexWaitMs: number;
  readonly indexPollMs: number;
  readonly quantization: Quantization;
  readonly collectionDeletion?: CollectionDeletionLimits;
}

class MongoStore implements Store {
  private readonly indexes: VectorIndexes;
  /** The full-text index LEXICAL and HYBRID search use (hybrid-search.ts). */
  private readonly textIndex: TextIndex;
  /** Metadata paths this process has submitted to each dimension's index: skips refreshes that change nothing. */
  private readonly submitted = new Map<number, Set<string>>();

  constructor(
    private readonly client: MongoClient,
    private readonly c: StoreCollections,
    private readonly outbox: MongoOutbox,
    private readonly transactions: boolean,
    /** The server's version (buildInfo), named in errors about missing search support. */
    readonly serverVersion: string | null,
    private readonly tuning: Tuning,
  ) {
    const chunks = c.chunks as unknown as Collection<Document>;
    this.indexes = new VectorIndexes(chunks, (dimension) => this.registryPaths(dimension), {
      waitMs: tuning.indexWaitMs, pollMs: tuning.indexPollMs, quantization: tuning.quantization,
    });
    this.textIndex = new TextIndex(chunks, { waitMs: tuning.indexWaitMs, pollMs: tuning.indexPollMs });
  }

  async createJob(job: NewJob): Promise<Job> {
    return this.insertJob(job, null);
  }

  async acceptJob(job: NewJob, message: OutboxMessage): Promise<Job> {
    return this.insertJob(job, message);
  }

  claimOutbox(limit: number, leaseMs: number): Promise<OutboxEntry[]> {
    return this.outbox.claim(limit, leaseMs);
  }

  completeOutbox(ids: readonly string[]): Promise<void> {
    return this.outbox.complete(ids);
  }

  countOutbox(): Promise<number> {
    return this.outbox.count();
  }

  /** The job and its first message in one transaction where the deployment has them. */
  private async insertJob(job: NewJob, message: OutboxMessage | null): Promise<Job> {
    const now = new Date();
    const created = queuedJob(job, now);
    try {
      if (!message) {
        await this.c.jobs.insertOne(jobToDocument(created));
      } else if (!this.transactions) {
        // Without transactions the job goes first: a crash in between leaves a QUEUED job with no
        // message, which the stall watchdog fails; the client never got it as accepted.
        await this.c.jobs.insertOne(jobToDocument(created));
        await this.outbox.insert(created.id, message);
      } else {
        const session = this.client.startSession();
        try {
          await session.withTransaction(async () => {
            await this.c.jobs.insertOne(jobToDocument(created), { session });
            await this.outbox.insert(created.id, message, session);
          }, { writeConcern: { w: 'majority' } });
        } finally {
          await session.endSession();
        }
      }
    } catch (error) {
      if (error instanceof MongoServerError && error.code === 11000) {
        throw new DuplicateJobError(job.id, { cause: error });
      }
      throw error;
    }
    return created;
  }

  async getJob(id: string): Promise<Job | null> {
    const doc = await this.c.jobs.findOne({ _id: id });
    return doc === null ? null : documentToJob(doc);
  }

  async listJobs(query: JobQuery): Promise<JobPage> {
    validateJobQuery(query);
    const conditions: Filter<JobDocument>[] = [];
    if (query.collection !== undefined) conditions.push({ collection: query.collection });
    if (query.collections !== undefined) conditions.push({ collection: { $in: [...query.collections] } });
    if (query.status !== undefined) conditions.push({ status: query.status });
    if (query.documentId !== undefined) conditions.push({ documentId: query.documentId });
    if (query.after !== undefined) conditions.push(afterCursor(decodeJobCursor(query.after)));
    const filter: Filter<JobDocument> = conditions.length === 0 ? {} : { $and: conditions };
    // One document more than asked tells whether another page exists.
    const docs = await this.c.jobs.find(filter).sort({ createdAt: -1, _id: -1 }).limit(query.first + 1).toArray();
    const jobs = docs.slice(0, query.first).map(documentToJob);
    return { jobs: jobs.map((job) => ({ job, cursor: encodeJobCursor(job) })), hasNextPage: docs.length > query.first };
  }

  async updateJob(id: string, patch: JobPatch): Promise<Job | null> {
    validateJobPatch(patch);
    const updated = await this.c.jobs.findOneAndUpdate(patchFilter(id, patch), patchUpdate(patch, new Date()), {
      returnDocument: 'after',
    });
    if (updated !== null) return documentToJob(updated);
    // Unknown, or terminal and not forced: answer with the job as it is.
    return this.getJob(id);
  }

  async listStalledJobs(before: Date, limit: number): Promise<Job[]> {
    const docs = await this.c.jobs.find({ status: { $in: ['QUEUED', 'RUNNING'] }, updatedAt: { $lt: before } })
      .sort({ updatedAt: 1 }).limit(limit).toArray();
    return docs.map(documentToJob);
  }

  async saveResumePoint(point: Omit<ResumePoint, 'savedAt'>): Promise<void> {
    await saveResumePoint(this.c.jobs, this.c.resumePoints, point);
  }

  async getResumePoint(jobId: string): Promise<ResumePoint | null> {
    return getResumePoint(this.c.resumePoints, jobId);
  }

  async getDocument(collection: string, id: string): Promise<DocumentRecord | null> {
    const doc = await this.c.documents.findOne(documentKey(collection, id));
    return doc === null ? null : toDocumentRecord(doc);
  }

  async listDocuments(query: DocumentQuery): Promise<DocumentPage> {
    // Strings compare as binary (no collation), the order SQLite's page follows too.
    const id = {
      ...(query.afterId === undefined ? {} : { $gt: query.afterId }),
      ...(query.idPrefix ? { $regex: new RegExp(`^${escapeRegExp(query.idPrefix)}`) } : {}),
    };
    const docs = await this.c.documents
      .find({ collection: query.collection, ...(Object.keys(id).length > 0 ? { documentId: id } : {}) })
      .sort({ documentId: 1 })
      .limit(query.first + 1)
      .toArray();
    return { documents: docs.slice(0, query.first).map(toDocumentRecord), hasNextPage: docs.length > query.first };
  }

  async finishUnchanged(jobId: string, fingerprint: string): Promise<UnchangedOutcome> {
    return finishUnchanged(this.client, this.c, jobId, fingerprint, this.transactions);
  }

  async indexDocument(request: IndexRequest): Promise<IndexOutcome> {
    const outcome = await indexDocument(this.client, this.c, request, this.transactions, this.tuning.quantization);
    // New metadata paths or a new dimension need the index (re)declared; the write never waits for the build.
    if (outcome.kind === 'indexed') {
      const dimension = request.embedder.dimension;
      const submitted = this.submitted.get(dimension) ?? new Set<string>();
      const paths = metadataPaths(request.document.metadata);
      if (!this.submitted.has(dimension) || paths.some((path) => !submitted.has(path))) {
        if (this.submitted.size === 0) this.textIndex.refresh();
        for (const path of paths) submitted.add(path);
        this.submitted.set(dimension, submitted);
        this.indexes.refresh(dimension);
      }
    }
    return outcome;
  }

  async search(query: SearchQuery): Promise<SearchHit[]> {
    if (!Number.isInteger(query.k) || query.k < 1 || query.k > MAX_NUM_CANDIDATES) {
      throw new Error(`k must be an integer from 1 to ${MAX_NUM_CANDIDATES}, got ${query.k}`);
    }
    const { mode, vector, text } = checkSearchQuery(query);
    const registered = await this.c.registry.findOne({ _id: query.collection });
    // Validate the filter even when there is nothing to search, so a bad key is reported either way.
    const filter = vectorSearchFilter(query.collection, query.filter, new Set(registered?.filterPaths ?? []));
    if (registered === null || filter === 'no-match') return [];
    checkQueryEmbedder(query.collection, { name: registered.embedderName, dimension: registered.dimension }, vector, query.embedder);
    return searchChunks({
      chunks: this.c.chunks as unknown as Collection<Document>, vectorIndexes: this.indexes, textIndex: this.textIndex,
      numCandidatesFactor: this.tuning.numCandidatesFactor,
    }, { mode, collection: query.collection, registered, text, vector, k: query.k, ...(query.filter ? { filter: query.filter } : {}),
      ...(query.lexicalWeight === undefined ? {} : { lexicalWeight: query.lexicalWeight }) });
  }

  async getCollection(name: string): Promise<CollectionInfo | null> {
    const registered = await this.c.registry.findOne({ _id: name });
    if (registered === null) return null;
    const [documentCount, chunkCount] = await Promise.all([
      this.c.documents.countDocuments({ collection: name }),
      this.c.chunks.countDocuments({ collection: name }),
    ]);
    return {
      name,
      embedder: { name: registered.embedderName, dimension: registered.dimension },
      documentCount,
      chunkCount,
    };
  }

  async listCollections(names?: readonly string[]): Promise<string[]> {
    const registered = await this.c.registry.find(names === undefined ? {} : { _id: { $in: [...names] } }, { projection: { _id: 1 } })
      .sort({ _id: 1 }).toArray();
    return registered.map((entry) => entry._id);
  }

  async getCollectionEmbedder(name: string): Promise<EmbedderIdentity | null> {
    const registered = await this.c.registry.findOne({ _id: name }, { projection: { embedderName: 1, dimension: 1 } });
    return registered === null ? null : { name: registered.embedderName, dimension: registered.dimension };
  }

  async countChunks(collection: string, documentId: string): Promise<number> {
    return this.c.chunks.countDocuments(documentKey(collection, documentId));
  }

  async deleteDocument(collection: string, id: string): Promise<boolean> {
    return deleteDocument(this.client, this.c, collection, id, this.transactions);
  }

  async deleteCollection(name: string): Promise<number> {
    return deleteCollection(this.client, this.c, name, this.transactions, this.tuning.collectionDeletion);
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  /** The metadata paths of every registered collection of this dimension (they share its index). */
  private async registryPaths(dimension: number): Promise<string[]> {
    const registered = await this.c.registry.find({ dimension }, { projection: { filterPaths: 1 } }).toArray();
    return registered.flatMap((entry) => entry.filterPaths ?? []);
  }
}

function toDocumentRecord(doc: StoredDocument): DocumentRecord {
  const { _id, documentId, ...rest } = doc;
  return { id: documentId, ...rest, fingerprint: rest.fingerprint ?? null };
}

/** `text` matched literally inside a regular expression. */
function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
