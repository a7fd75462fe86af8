/**
 * The index stage's write on MongoDB: register the collection's embedder, replace the document
 * and its chunks, and mark the job SUCCEEDED — in one multi-document transaction where the
 * deployment has them (Atlas and Atlas Local are replica sets). The job is marked last, with a
 * conditional update, so without transactions a crash half-way leaves the job open and the
 * redelivery redoes the (idempotent) writes instead of skipping them.
 */
import { TERMINAL_STATUSES } from '../../schema/domain.ts';
import type { ResumePointDocument } from './resume-points.ts';
import type { Job, Metadata } from '../../schema/domain.ts';
import type { ClientSession, Collection, MongoClient, ObjectId } from 'mongodb';
import { EmbedderMismatchError, sameEmbedder } from '../../schema/embedder-mismatch.ts';
import { JobDocumentMismatchError } from '../store.ts';
import { documentKey } from './document-identity.ts';
import type { IndexOutcome, IndexRequest } from '../store.ts';
import { documentToJob } from './job-documents.ts';
import { markSucceeded } from './job-success.ts';
import { inTransaction } from './transaction.ts';
import type { JobDocument } from './job-documents.ts';
import { Binary } from 'mongodb';
import { MAX_FILTER_PATHS, TooManyFilterPathsError, metadataPaths } from './metadata-filter.ts';
import { assertDimension, vectorPath, type Quantization } from './vector-index.ts';

/** The registry entry of a collection (`collections` collection, `_id` is its name). */
export interface CollectionDocument {
  _id: string;
  embedderName: string;
  dimension: number;
  /** Metadata paths seen in the collection, declared as filter fields of its vector index. */
  filterPaths: string[];
  createdAt: Date;
}

/**
 * A stored document (`documents` collection). Its identity is (collection, documentId), unique
 * by index; `_id` is the server's (a document id from before issue 12 kept as `_id` too).
 */
export interface StoredDocument {
  _id?: ObjectId | string;
  documentId: string;
  collection: string;
  title: string | null;
  mimeType: string | null;
  sourceUrl: string | null;
  status: 'PENDING' | 'INDEXED';
  chunkCount: number;
  metadata: Metadata;
  contentHash: string | null;
  /** See DocumentRecord.fingerprint; absent from documents indexed before it was kept. */
  fingerprint?: string | null;
  /**
   * The job whose index write stored this version, on the document and on each of its chunks:
   * deleting a collection step by step removes exactly the versions it listed, never one written
   * meanwhile. Absent from documents and chunks indexed before it was kept.
   */
  indexedBy?: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * A stored chunk (`chunks` collection): the vector sits under `embeddings.d<dimension>` as BSON
 * BinData float32 (a third of the size of an array of doubles, the form Atlas recommends:
 * https://www.mongodb.com/docs/atlas/atlas-vector-search/create-bson-vectors/);
 * chunks written before hold arrays of doubles, which the index reads too. Chunk ids are unique
 * within a collection (by index); `_id` is the server's.
 */
export interface ChunkDocument {
  _id?: ObjectId | string;
  chunkId: string;
  documentId: string;
  collection: string;
  ordinal: number;
  text: string;
  heading: string | null;
  title: string | null;
  metadata: Metadata;
  dimension: number;
  embeddings: Record<string, Binary | number[]>;
  /** See StoredDocument.indexedBy. */
  indexedBy?: string | null;
}

/** The collections the write touches. */
export interface StoreCollections {
  readonly jobs: Collection<JobDocument>;
  readonly documents: Collection<StoredDocument>;
  readonly chunks: Collection<ChunkDocument>;
  readonly registry: Collection<CollectionDocument>;
  readonly resumePoints: Collection<ResumePointDocument>;
}

/** Signals "the job is terminal" out of a transaction callback so the transaction aborts. */
class JobAlreadyFinished extends Error {
  constructor(readonly job: Job) {
    super('job already finished');
  }
}

export async function indexDocument(
  client: MongoClient, collections: StoreCollections, request: IndexRequest, transactions: boolean, quantization: Quantization = 'none',
): Promise<IndexOutcome> {
  const { embedder, chunks } = request;
  assertDimension(embedder.dimension, quantization);
  chunks.forEach((chunk, index) => {
    if (chunk.vector.length !== embedder.dimension) {
      throw new Error(
        `chunks.${index}.vector has ${chunk.vector.length} dimensions, embedder ${embedder.name} declares ${embedder.dimension}`,
      );
    }
  });
  try {
    return await inTransaction(client, transactions, (session) => writeAll(collections, request, session), {
      readConcern: { level: 'snapshot' },
      writeConcern: { w: 'majority' },
    });
  } catch (error) {
    if (error instanceof JobAlreadyFinished) return { kind: 'skipped', job: error.job };
    throw error;
  }
}

async function writeAll(
  { jobs, documents, chunks: chunkCollection, registry, resumePoints }: StoreCollections,
  request: IndexRequest,
  session: ClientSession | undefined,
): Promise<IndexOutcome> {
  const { document, embedder, chunks } = request;
  const options = session === undefined ? {} : { session };
  const existingJob = await jobs.findOne({ _id: request.jobId }, options);
  if (existingJob === null) {
    throw new Error(`jobId: job "${request.jobId}" does not exist: create the job before indexing its document`);
  }
  // A job writes its own document only: the job, not the message, says which one that is.
  if (existingJob.collection !== document.collection || existingJob.documentId !== document.id) {
    throw new JobDocumentMismatchError(request.jobId, existingJob, document);
  }
  // A cancelled job, or a redelivery after success: leave everything as it is.
  if (TERMINAL_STATUSES.includes(existingJob.status)) return { kind: 'skipped', job: documentToJob(existingJob) };

  const now = new Date();
  const registered = await registry.findOne({ _id: document.collection }, options);
  const built = registered && { name: registered.embedderName, dimension: registered.dimension };
  if (built !== null && !sameEmbedder(built, embedder)) throw new EmbedderMismatchError(document.collection, built, embedder);
  const known = new Set(registered?.filterPaths ?? []);
  const added = metadataPaths(document.metadata).filter((path) => !known.has(path));
  if (known.size + added.length > MAX_FILTER_PATHS) {
    throw new TooManyFilterPathsError(document.collection, known.size + added.length, added);
  }
  await registry.updateOne(
    { _id: document.collection },
    {
      $setOnInsert: { embedderName: embedder.name, dimension: embedder.dimension, createdAt: now },
      $addToSet: { filterPaths: { $each: added } },
    },
    { ...options, upsert: true },
  );

  const key = documentKey(document.collection, document.id);
  await documents.updateOne(
    key,
    {
      $set: {
        title: document.title,
        mimeType: document.mimeType,
        sourceUrl: document.sourceUrl,
        status: 'INDEXED',
        chunkCount: chunks.length,
        metadata: document.metadata,
        contentHash: document.contentHash,
        fingerprint: document.fingerprint ?? null,
        indexedBy: request.jobId,
      },
      // The server's clock, which a collection's deletion compares with its own start.
      $currentDate: { updatedAt: true },
      $setOnInsert: { createdAt: now },
    },
    { ...options, upsert: true },
  );
  // Replace every chunk of this collection's document; the same id elsewhere is another document.
  await chunkCollection.deleteMany(key, options);
  if (chunks.length > 0) {
    const path = vectorPath(embedder.dimension).split('.')[1]!;
    await chunkCollection.insertMany(chunks.map((chunk) => ({
      chunkId: chunk.id,
      documentId: document.id,
      collection: document.collection,
      ordinal: chunk.ordinal,
      text: chunk.text,
      heading: chunk.heading,
      title: document.title,
      metadata: document.metadata,
      dimension: embedder.dimension,
      embeddings: { [path]: Binary.fromFloat32Array(chunk.vector) },
      indexedBy: request.jobId,
    })), options);
  }

  const succeeded = await markSucceeded({ jobs, resumePoints }, request.jobId, 'INDEX', chunks.length, now, session);
  if (succeeded === null) {
    // Cancelled while we wrote: abort the transaction (without one, the writes stay; the job stays cancelled).
    const current = await jobs.findOne({ _id: request.jobId }, options);
    throw new JobAlreadyFinished(documentToJob(current!));
  }
  return { kind: 'indexed', job: succeeded };
}
