/**
 * The production store: MongoDB Atlas (or Atlas Local) with Atlas Vector Search.
 *
 * Collections: `jobs`, `documents`, `chunks` (text, metadata and the vector) and `collections`
 * (the registry: each collection's embedder and the metadata paths seen in it). The store creates
 * its own regular indexes and one vector search index per embedder dimension, keeps the latter's
 * filter fields in step with the metadata it has seen, and searches with `$vectorSearch`, the
 * collection and metadata filter inside the stage so it narrows the candidates before ranking.
 * Writes use majority write concern; job changes are single conditional updates.
 */
import { decodeJobCursor, encodeJobCursor } from '../job-cursor.ts';
import { queuedJob } from '../new-job.ts';
import { MongoClient, MongoServerError } from 'mongodb';
import { deleteCollection, deleteDocument } from './delete-documents.ts';
import { getResumePoint, saveResumePoint, type ResumePointDocument } from './resume-points.ts';
import type { Db, Document, Filter } from 'mongodb';
import type { DocumentRecord, EmbedderIdentity, Job, SearchHit } from '../../schema/domain.ts';
import { checkSearchQuery, EmbedderMismatchError, UnsupportedSearchModeError } from '../store.ts';
import { withSignal } from '../rank-fusion.ts';
import type {
  CollectionInfo, IndexOutcome, IndexRequest, JobPage, JobPatch, JobQuery, NewJob, ResumePoint, SearchQuery, Store,
} from '../store.ts';
import { indexDocument } from './index-document.ts';
import type { ChunkDocument, CollectionDocument, StoreCollections, StoredDocument } from './index-document.ts';
import {
  afterCursor, documentToJob, jobToDocument, patchFilter, patchUpdate, validatePatch,
} from './job-documents.ts';
import type { JobDocument } from './job-documents.ts';
import { vectorSearchFilter } from './metadata-filter.ts';
import {
  assertSearchSupported, definitionKey, ensureVectorIndex, vectorIndexDefinition, vectorIndexName, vectorPath,
} from './vector-index.ts';

/** Options of the MongoDB store. */
export interface MongoStoreOptions {
  /** Connection string, e.g. mongodb://127.0.0.1:27017/?directConnection=true (MONGODB_URI). */
  readonly uri: string;
  /** Database name (MONGODB_DB); default `rag`. */
  readonly db?: string;
  /** `numCandidates` = this × k for `$vectorSearch` (more = better recall, slower); default 20. */
  readonly numCandidatesFactor?: number;
  /** How long to wait for a vector index to become queryable, in ms; default 120000. */
  readonly indexWaitMs?: number;
  /** Poll interval while waiting for an index, in ms; default 500. */
  readonly indexPollMs?: number;
}

const DEFAULT_NUM_CANDIDATES_FACTOR = 20;
const DEFAULT_INDEX_WAIT_MS = 120_000;
/** Atlas limits: numCandidates and limit at most 10000. */
export const MAX_NUM_CANDIDATES = 10_000;

/**
 * Connects, checks that the deployment has search support (failing with a hint at Atlas Local
 * when it has not), and creates the collections and indexes. Close the store to disconnect.
 */
export async function openMongoStore(options: MongoStoreOptions): Promise<Store> {
  const client = new MongoClient(options.uri, { writeConcern: { w: 'majority' }, serverSelectionTimeoutMS: 10_000 });
  try {
    await client.connect();
    const db = client.db(options.db ?? 'rag');
    const hello = await db.admin().command({ hello: 1 });
    // Transactions need a replica set or a sharded cluster; Atlas and Atlas Local are both.
    const transactions = typeof hello.setName === 'string' || hello.msg === 'isdbgrid';
    const collections = await prepare(db);
    await assertSearchSupported(collections.chunks);
    return new MongoStore(client, collections, transactions, {
      numCandidatesFactor: options.numCandidatesFactor ?? DEFAULT_NUM_CANDIDATES_FACTOR,
      indexWaitMs: options.indexWaitMs ?? DEFAULT_INDEX_WAIT_MS,
      indexPollMs: options.indexPollMs ?? 500,
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
    { key: { documentId: 1, createdAt: -1 } },
    // The stall watchdog looks for unfinished jobs by their last change.
    { key: { status: 1, updatedAt: 1 } },
  ]);
  await collections.documents.createIndex({ collection: 1 });
  await collections.chunks.createIndexes([{ key: { documentId: 1 } }, { key: { collection: 1 } }]);
  await collections.registry.createIndex({ dimension: 1 });
  return collections;
}

interface Tuning {
  readonly numCandidatesFactor: number;
  readonly indexWaitMs: number;
  readonly indexPollMs: number;
}

class MongoStore implements Store {
  /** Definition last applied per dimension by this process: skips index round trips when nothing changed. */
  private readonly applied = new Map<number, string>();
  /** One index change at a time per dimension within this process. */
  private readonly pending = new Map<number, Promise<void>>();

  constructor(
    private readonly client: MongoClient,
    private readonly c: StoreCollections,
    private readonly transactions: boolean,
    private readonly tuning: Tuning,
  ) {}

  async createJob(job: NewJob): Promise<Job> {
    const now = new Date();
    const created = queuedJob(job, now);
    try {
      await this.c.jobs.insertOne(jobToDocument(created));
    } catch (error) {
      if (error instanceof MongoServerError && error.code === 11000) {
        throw new Error(`job "${job.id}" already exists: job ids must be unique`, { cause: error });
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
    if (!Number.isInteger(query.first) || query.first < 0) {
      throw new Error(`first must be a non-negative integer, got ${query.first}`);
    }
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
    validatePatch(patch);
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

  async getDocument(id: string): Promise<DocumentRecord | null> {
    const doc = await this.c.documents.findOne({ _id: id });
    if (doc === null) return null;
    const { _id, ...rest } = doc;
    return { id: _id, ...rest };
  }

  async indexDocument(request: IndexRequest): Promise<IndexOutcome> {
    const outcome = await indexDocument(this.client, this.c, request, this.transactions);
    // New metadata paths or a new dimension need the vector index (re)declared before filters on them work.
    if (outcome.kind === 'indexed') await this.syncVectorIndex(request.embedder.dimension);
    return outcome;
  }

  async search(query: SearchQuery): Promise<SearchHit[]> {
    if (!Number.isInteger(query.k) || query.k < 1 || query.k > MAX_NUM_CANDIDATES) {
      throw new Error(`k must be an integer from 1 to ${MAX_NUM_CANDIDATES}, got ${query.k}`);
    }
    const { mode, vector } = checkSearchQuery(query);
    // Atlas Search ($search with $rankFusion) for LEXICAL and HYBRID follows in its own issue.
    if (mode !== 'VECTOR' || vector === null) throw new UnsupportedSearchModeError('MongoDB', mode);
    const registered = await this.c.registry.findOne({ _id: query.collection });
    // Validate the filter even when there is nothing to search, so a bad key is reported either way.
    const filter = vectorSearchFilter(query.collection, query.filter, new Set(registered?.filterPaths ?? []));
    if (registered === null || filter === 'no-match') return [];
    if (vector.length !== registered.dimension) {
      throw new EmbedderMismatchError(
        query.collection,
        { name: registered.embedderName, dimension: registered.dimension },
        { name: 'query vector', dimension: vector.length },
      );
    }
    const dimension = registered.dimension;
    // The index may lag behind the registry (another process added paths): bring it in step first.
    if (this.applied.get(dimension) !== definitionKey(await this.wantedDefinition(dimension))) {
      await this.syncVectorIndex(dimension);
    }
    const numCandidates = Math.min(MAX_NUM_CANDIDATES, Math.max(query.k, query.k * this.tuning.numCandidatesFactor));
    const pipeline: Document[] = [
      {
        $vectorSearch: {
          index: vectorIndexName(dimension),
          path: vectorPath(dimension),
          queryVector: Array.from(vector),
          numCandidates,
          limit: query.k,
          filter,
        },
      },
      { $project: { _id: 1, documentId: 1, text: 1, ordinal: 1, title: 1, metadata: 1, score: { $meta: 'vectorSearchScore' } } },
    ];
    const rows = await this.c.chunks.aggregate<ChunkDocument & { score: number }>(pipeline).toArray();
    return withSignal('VECTOR', rows.map((row) => ({
      chunkId: row._id,
      documentId: row.documentId,
      text: row.text,
      // Atlas reports cosine as (1 + cos) / 2 to keep scores in 0..1; the port promises cosine itself.
      score: 2 * row.score - 1,
      ordinal: row.ordinal,
      title: row.title,
      metadata: row.metadata,
    })));
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

  async getCollectionEmbedder(name: string): Promise<EmbedderIdentity | null> {
    const registered = await this.c.registry.findOne({ _id: name }, { projection: { embedderName: 1, dimension: 1 } });
    return registered === null ? null : { name: registered.embedderName, dimension: registered.dimension };
  }

  async countChunks(documentId: string): Promise<number> {
    return this.c.chunks.countDocuments({ documentId });
  }

  async deleteDocument(id: string): Promise<boolean> {
    return deleteDocument(this.client, this.c, id, this.transactions);
  }

  async deleteCollection(name: string): Promise<number> {
    return deleteCollection(this.client, this.c, name, this.transactions);
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  /** The index definition the registry calls for: every metadata path of every collection of this dimension. */
  private async wantedDefinition(dimension: number): Promise<Document> {
    const registered = await this.c.registry.find({ dimension }, { projection: { filterPaths: 1 } }).toArray();
    return vectorIndexDefinition(dimension, registered.flatMap((entry) => entry.filterPaths ?? []));
  }

  /**
   * Creates or updates the dimension's vector index to what the registry calls for and waits until
   * it is queryable. Reading the registry afresh each time makes concurrent writers converge on the
   * union of their paths, whichever updates the index last.
   */
  private async syncVectorIndex(dimension: number): Promise<void> {
    const previous = this.pending.get(dimension) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(async () => {
      const definition = await this.wantedDefinition(dimension);
      const key = definitionKey(definition);
      if (this.applied.get(dimension) === key) return;
      await ensureVectorIndex(this.c.chunks, vectorIndexName(dimension), definition, {
        waitMs: this.tuning.indexWaitMs,
        pollMs: this.tuning.indexPollMs,
      });
      this.applied.set(dimension, key);
    });
    this.pending.set(dimension, next);
    try {
      await next;
    } finally {
      if (this.pending.get(dimension) === next) this.pending.delete(dimension);
    }
  }
}
