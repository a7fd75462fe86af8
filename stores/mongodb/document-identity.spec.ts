/**
 * The queries the MongoDB store sends for one document, checked without a server: every filter,
 * update and insert names the document by (collection, documentId), never by id alone.
 */
import assert from 'node:assert/strict';
import { Binary } from 'mongodb';
import type { MongoClient } from 'mongodb';
import type { JobDocument } from './job-documents.ts';
import { JobDocumentMismatchError } from '../store.ts';
import type { IndexRequest } from '../store.ts';
import { deleteDocument } from './delete-documents.ts';
import { CHUNK_INDEXES, DOCUMENT_INDEXES, prepareDocumentIdentity } from './document-identity.ts';
import { indexDocument, type StoreCollections } from './index-document.ts';
import { MAX_FILTER_PATHS, TooManyFilterPathsError } from './metadata-filter.ts';
import { VectorDimensionError } from './vector-index.ts';

interface Call { readonly collection: string; readonly method: string; readonly args: readonly unknown[] }

/** Fake collections that record every call and answer from `answers` (method → value). */
function recordingCollections(answers: Record<string, unknown>): { c: StoreCollections; calls: Call[] } {
  const calls: Call[] = [];
  const fake = (collection: string) => new Proxy({}, {
    get: (_, method: string) => async (...args: unknown[]) => {
      calls.push({ collection, method, args });
      return answers[`${collection}.${method}`] ?? answers[method] ?? null;
    },
  });
  const c = {
    jobs: fake('jobs'), documents: fake('documents'), chunks: fake('chunks'), registry: fake('registry'), resumePoints: fake('resumePoints'),
  } as unknown as StoreCollections;
  return { c, calls };
}

const client = {} as MongoClient;
const now = new Date(0);
const job: JobDocument = {
  _id: 'job-1', collection: 'alpha', documentId: 'shared', status: 'RUNNING', stage: 'INDEX', progress: 0.9, attempts: 1,
  error: null, chunkCount: null, priority: 'NORMAL', seq: 4, traceId: null, createdAt: now, updatedAt: now, finishedAt: null,
};
const request: IndexRequest = {
  jobId: 'job-1',
  document: { id: 'shared', collection: 'alpha', title: 't', mimeType: null, sourceUrl: null, metadata: {}, contentHash: 'h' },
  embedder: { name: 'e', dimension: 2 },
  chunks: [{ id: 'c-0', ordinal: 0, text: 'x', heading: null, vector: new Float32Array([1, 0]) }],
};

describe('MongoDB document identity (no server needed)', () => {
  it('when a document is indexed, should write and replace it and its chunks by (collection, documentId)', async () => {
    const { c, calls } = recordingCollections({ 'jobs.findOne': job, 'jobs.findOneAndUpdate': { ...job, status: 'SUCCEEDED' } });
    const outcome = await indexDocument(client, c, request, false);
    assert.equal(outcome.kind, 'indexed');
    const key = { collection: 'alpha', documentId: 'shared' };
    const documentWrites = calls.filter((call) => call.collection === 'documents');
    assert.deepEqual(documentWrites.map((call) => [call.method, call.args[0]]), [['updateOne', key]]);
    const set = (documentWrites[0]!.args[1] as { $set: Record<string, unknown> }).$set;
    assert.ok(!('collection' in set), 'an upsert never changes the collection of a document');
    const chunkCalls = calls.filter((call) => call.collection === 'chunks');
    assert.deepEqual(chunkCalls.map((call) => call.method), ['deleteMany', 'insertMany']);
    assert.deepEqual(chunkCalls[0]!.args[0], key);
    const inserted = chunkCalls[1]!.args[0] as Record<string, unknown>[];
    assert.deepEqual(inserted.map(({ chunkId, collection, documentId, _id }) => ({ chunkId, collection, documentId, _id })),
      [{ chunkId: 'c-0', collection: 'alpha', documentId: 'shared', _id: undefined }]);
  });

  it('when the request names another collection or document than its job, should throw before writing anything', async () => {
    for (const document of [{ ...request.document, collection: 'beta' }, { ...request.document, id: 'other' }]) {
      const { c, calls } = recordingCollections({ 'jobs.findOne': job });
      await assert.rejects(indexDocument(client, c, { ...request, document }, false), JobDocumentMismatchError);
      assert.deepEqual(calls.map((call) => `${call.collection}.${call.method}`), ['jobs.findOne']);
    }
  });

  it('when a document is deleted, should delete it and its chunks by (collection, documentId)', async () => {
    const { c, calls } = recordingCollections({ 'documents.deleteOne': { deletedCount: 1 } });
    assert.equal(await deleteDocument(client, c, 'alpha', 'shared', false), true);
    assert.deepEqual(calls.map((call) => [call.collection, call.method, call.args[0]]), [
      ['chunks', 'deleteMany', { collection: 'alpha', documentId: 'shared' }],
      ['documents', 'deleteOne', { collection: 'alpha', documentId: 'shared' }],
    ]);
  });

  it('when the store starts, should copy legacy ids into documentId and chunkId, then index them uniquely per collection', async () => {
    const { c, calls } = recordingCollections({});
    await prepareDocumentIdentity(c.documents, c.chunks);
    assert.deepEqual(calls.map((call) => [call.collection, call.method, call.args[0], call.args[1]]), [
      ['documents', 'updateMany', { documentId: { $exists: false } }, [{ $set: { documentId: '$_id' } }]],
      ['chunks', 'updateMany', { chunkId: { $exists: false } }, [{ $set: { chunkId: '$_id' } }]],
      ['documents', 'createIndexes', DOCUMENT_INDEXES, undefined],
      ['chunks', 'createIndexes', CHUNK_INDEXES, undefined],
    ]);
    assert.deepEqual(DOCUMENT_INDEXES.find((index) => index.unique)?.key, { collection: 1, documentId: 1 });
    assert.deepEqual(CHUNK_INDEXES.find((index) => index.unique)?.key, { collection: 1, chunkId: 1 });
  });
});

describe('MongoDB index write (no server needed)', () => {
  const succeeded = { 'jobs.findOne': job, 'jobs.findOneAndUpdate': { ...job, status: 'SUCCEEDED' } };

  it('when chunks are written, should store each vector as BSON BinData float32', async () => {
    const { c, calls } = recordingCollections(succeeded);
    await indexDocument(client, c, { ...request, chunks: [{ ...request.chunks[0]!, vector: new Float32Array([0.25, -1]) }] }, false);
    const [chunk] = calls.find((call) => call.method === 'insertMany')!.args[0] as { embeddings: Record<string, unknown> }[];
    const stored = chunk!.embeddings.d2 as Binary;
    assert.ok(stored instanceof Binary);
    assert.equal(stored.sub_type, Binary.SUBTYPE_VECTOR);
    assert.deepEqual(Array.from(stored.toFloat32Array()), [0.25, -1]);
  });

  it('when a document would take its collection past the metadata path limit, should refuse naming the limit and write nothing', async () => {
    const full = Array.from({ length: MAX_FILTER_PATHS - 1 }, (_, i) => `metadata.k${i}`);
    const registered = { _id: 'alpha', embedderName: 'e', dimension: 2, filterPaths: full, createdAt: now };
    const { c, calls } = recordingCollections({ ...succeeded, 'registry.findOne': registered });
    const document = { ...request.document, metadata: { k0: 'old', fresh1: 'x', fresh2: 'y' } };
    await assert.rejects(indexDocument(client, c, { ...request, document }, false), (error: Error) =>
      error instanceof TooManyFilterPathsError && error.nonRetryable && /metadata/.test(error.message) &&
      error.message.includes(String(MAX_FILTER_PATHS)) && /fresh1/.test(error.message));
    assert.deepEqual(calls.filter((call) => !call.method.startsWith('find')).map((call) => call.method), []);
    // One new path still fits.
    const fits = recordingCollections({ ...succeeded, 'registry.findOne': registered });
    const outcome = await indexDocument(client, fits.c, { ...request, document: { ...document, metadata: { fresh1: 'x' } } }, false);
    assert.equal(outcome.kind, 'indexed');
  });

  it('when the embedder has more than 8192 dimensions, should refuse before reading or writing anything', async () => {
    const { c, calls } = recordingCollections(succeeded);
    const wide = { ...request, embedder: { name: 'wide', dimension: 8193 }, chunks: [] };
    await assert.rejects(indexDocument(client, c, wide, false), VectorDimensionError);
    assert.deepEqual(calls, []);
  });
});
