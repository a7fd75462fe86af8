/**
 * How a collection is deleted on MongoDB, against in-memory collections whose filters mingo
 * evaluates with MongoDB's query semantics (the contract suite runs it against a server).
 */
import assert from 'node:assert/strict';
import { find, Query } from 'mingo';
import type { MongoClient } from 'mongodb';
import { deleteCollection, TRANSACTION_MAX_CHUNKS, type CollectionDeletionLimits } from './delete-documents.ts';
import type { StoreCollections } from './index-document.ts';

type Row = Record<string, unknown>;
type Filter = Record<string, unknown>;

/** One collection of rows; `beforeDelete` runs before each deleteMany is applied, as a concurrent writer would. */
function memoryCollection(name: string, rows: Row[], log: string[], hooks: { beforeDelete?: (collection: string) => void }) {
  const remove = (filter: Filter, limit: number) => {
    hooks.beforeDelete?.(name);
    const query = new Query(filter);
    let deletedCount = 0;
    for (let i = rows.length - 1; i >= 0 && deletedCount < limit; i--) {
      if (query.test(rows[i]!)) {
        rows.splice(i, 1);
        deletedCount += 1;
      }
    }
    return { deletedCount };
  };
  return {
    countDocuments: async (filter: Filter, options?: { limit?: number }) =>
      Math.min(rows.filter((row) => new Query(filter).test(row)).length, options?.limit ?? Infinity),
    find: (filter: Filter, options: { projection: Row; sort: Record<string, 1 | -1>; limit: number }) => ({
      toArray: async () => {
        log.push(`${name}.find`);
        return find(rows, filter, options.projection).sort(options.sort).limit(options.limit).all();
      },
    }),
    deleteMany: async (filter: Filter, options?: { session?: unknown }) => {
      log.push(`${name}.deleteMany${options?.session ? ' (in transaction)' : ''}`);
      return remove(filter, Infinity);
    },
    deleteOne: async (filter: Filter, options?: { session?: unknown }) => {
      log.push(`${name}.deleteOne${options?.session ? ' (in transaction)' : ''}`);
      return remove(filter, 1);
    },
    findOneAndDelete: async (filter: Filter) => {
      log.push(`${name}.findOneAndDelete`);
      const found = rows.find((row) => new Query(filter).test(row)) ?? null;
      if (found !== null) rows.splice(rows.indexOf(found), 1);
      return found;
    },
    updateOne: async (filter: Filter & { _id: unknown }, update: { $setOnInsert: Row }, options: { upsert: boolean }) => {
      log.push(`${name}.updateOne`);
      if (!options.upsert || rows.some((row) => new Query(filter).test(row))) return;
      rows.push({ _id: filter._id, ...update.$setOnInsert });
    },
  };
}

function fakeStore() {
  const documents: Row[] = [];
  const chunks: Row[] = [];
  const registry: Row[] = [];
  const log: string[] = [];
  const hooks: { beforeDelete?: (collection: string) => void } = {};
  let sessions = 0;
  let clock = 0; // the server's clock, a millisecond a write
  const collections = {
    documents: memoryCollection('documents', documents, log, hooks),
    chunks: memoryCollection('chunks', chunks, log, hooks),
    registry: memoryCollection('registry', registry, log, hooks),
  } as unknown as StoreCollections;
  const client = {
    startSession: () => {
      sessions += 1;
      return { withTransaction: async (work: () => Promise<void>) => { await work(); }, endSession: async () => {} };
    },
    db: () => ({ admin: () => ({ command: async () => ({ localTime: new Date(clock++) }) }) }),
  } as unknown as MongoClient;

  /**
   * What the index write leaves: the registry entry, the document and its chunks, all of one
   * version. `registered: false` is a write that found the entry before the deletion took it.
   */
  function index(collection: string, documentId: string, chunkCount: number, indexedBy?: string, registered = true): void {
    if (registered && !registry.some((entry) => entry._id === collection)) registry.push({ _id: collection, embedderName: `embedder-of-${indexedBy}`, dimension: 4 });
    const version = indexedBy === undefined ? {} : { indexedBy };
    const at = documents.findIndex((row) => row.collection === collection && row.documentId === documentId);
    if (at >= 0) documents.splice(at, 1);
    documents.push({ collection, documentId, updatedAt: new Date(clock++), ...version });
    for (let i = chunks.length - 1; i >= 0; i--) {
      if (chunks[i]!.collection === collection && chunks[i]!.documentId === documentId) chunks.splice(i, 1);
    }
    for (let ordinal = 0; ordinal < chunkCount; ordinal++) chunks.push({ collection, documentId, chunkId: `${documentId}:${ordinal}`, ...version });
  }
  const chunksOf = (collection: string) => chunks.filter((chunk) => chunk.collection === collection).map((chunk) => `${chunk.documentId}/${chunk.indexedBy ?? '-'}`).sort();
  const documentsOf = (collection: string) => documents.filter((row) => row.collection === collection).map((row) => `${row.documentId}/${row.indexedBy ?? '-'}`).sort();
  return { collections, client, log, hooks, index, chunksOf, documentsOf, documents, registry, sessions: () => sessions };
}

/** Two documents a step, and a transaction only up to 6 chunks, so that a few rows take several steps. */
const SMALL: CollectionDeletionLimits = { transactionMaxChunks: 6, documentsPerStep: 2 };

describe('MongoDB collection deletion (no server needed)', () => {
  it('when the collection is small enough for a transaction, should delete its entry, chunks and documents in one', async () => {
    const store = fakeStore();
    store.index('docs', 'a', 3, 'job-a');
    store.index('docs', 'b', 3, 'job-b');
    store.index('other', 'a', 2, 'job-x');
    assert.equal(await deleteCollection(store.client, store.collections, 'docs', true, SMALL), 2);
    assert.equal(store.sessions(), 1);
    assert.deepEqual(store.log, ['registry.deleteOne (in transaction)', 'chunks.deleteMany (in transaction)', 'documents.deleteMany (in transaction)']);
    assert.deepEqual([store.documentsOf('docs'), store.chunksOf('docs')], [[], []]);
    assert.deepEqual(store.registry.map((entry) => entry._id), ['other']);
    assert.deepEqual(store.chunksOf('other'), ['a/job-x', 'a/job-x'], 'another collection untouched');
  });

  it('when it holds more chunks than a transaction can, should delete it in steps outside any transaction, leaving nothing of it', async () => {
    const store = fakeStore();
    for (const id of ['a', 'b', 'c', 'd', 'e']) store.index('docs', id, 2, `job-${id}`);
    store.index('other', 'a', 2, 'job-x');
    assert.equal(await deleteCollection(store.client, store.collections, 'docs', true, SMALL), 5);
    assert.equal(store.sessions(), 0);
    assert.ok(!store.log.some((line) => line.includes('in transaction')));
    assert.equal(store.log.filter((line) => line === 'documents.find').length, 4, 'three pages of two, and the empty one');
    assert.deepEqual([store.documentsOf('docs'), store.chunksOf('docs')], [[], []]);
    assert.deepEqual(store.registry.map((entry) => entry._id), ['other']);
    assert.deepEqual(store.chunksOf('other'), ['a/job-x', 'a/job-x']);
  });

  for (const between of ['chunks', 'documents'] as const) {
    it(`when a listed document is indexed again just before its page's ${between} are deleted, should keep its new version whole`, async () => {
      const store = fakeStore();
      for (const id of ['a', 'b', 'c', 'd']) store.index('docs', id, 2, `job-${id}`);
      let written = false;
      store.hooks.beforeDelete = (collection) => {
        if (collection !== between || written || !store.log.includes('documents.find')) return;
        written = true;
        store.index('docs', 'a', 3, 'job-a2'); // listed in the first page as job-a's version
        store.index('docs', 'new', 1, 'job-new'); // first indexed after the start, its id in a page still to come
      };
      assert.equal(await deleteCollection(store.client, store.collections, 'docs', true, SMALL), 3);
      assert.ok(written);
      assert.deepEqual(store.documentsOf('docs'), ['a/job-a2', 'new/job-new']);
      assert.deepEqual(store.chunksOf('docs'), ['a/job-a2', 'a/job-a2', 'a/job-a2', 'new/job-new']);
      assert.deepEqual(store.registry, [{ _id: 'docs', embedderName: 'embedder-of-job-a2', dimension: 4 }], 'registered again by the write meanwhile');
    });
  }

  it('when a write that found the registry entry before the deletion took it lands after its page was listed, should keep the document and restore the entry', async () => {
    const store = fakeStore();
    for (const id of ['a', 'b', 'c']) store.index('docs', id, 2, `job-${id}`);
    store.hooks.beforeDelete = (collection) => {
      if (collection === 'chunks' && !store.documents.some((row) => row.documentId === 'late')) store.index('docs', 'late', 2, 'job-late', false);
    };
    assert.equal(await deleteCollection(store.client, store.collections, 'docs', false, SMALL), 3);
    assert.deepEqual(store.documentsOf('docs'), ['late/job-late']);
    assert.deepEqual(store.chunksOf('docs'), ['late/job-late', 'late/job-late']);
    assert.deepEqual(store.registry, [{ _id: 'docs', embedderName: 'embedder-of-job-a', dimension: 4 }]);
  });

  it('when documents and chunks were stored before versions were kept, should delete them too, orphaned chunks included', async () => {
    const store = fakeStore();
    store.index('docs', 'old', 2);
    store.index('docs', 'b', 2, 'job-b');
    store.index('docs', 'c', 5);
    store.documents.splice(store.documents.findIndex((row) => row.documentId === 'c'), 1); // its chunks left without a document
    assert.equal(await deleteCollection(store.client, store.collections, 'docs', false, SMALL), 2);
    assert.deepEqual([store.documentsOf('docs'), store.chunksOf('docs')], [[], []]);
  });

  it('when the deployment has no transactions, should take the steps whatever the size, since a write meanwhile could be lost otherwise', async () => {
    const store = fakeStore();
    store.index('docs', 'a', 1, 'job-a');
    assert.equal(await deleteCollection(store.client, store.collections, 'docs', false), 1);
    assert.equal(store.sessions(), 0);
    assert.deepEqual(store.log, ['registry.findOneAndDelete', 'documents.find', 'chunks.deleteMany', 'documents.deleteMany', 'documents.find', 'chunks.deleteMany']);
  });

  it('by default, should take one transaction for TRANSACTION_MAX_CHUNKS chunks and steps for one more', async () => {
    for (const [chunks, sessions] of [[TRANSACTION_MAX_CHUNKS, 1], [TRANSACTION_MAX_CHUNKS + 1, 0]] as const) {
      const store = fakeStore();
      store.index('docs', 'big', chunks, 'job-big');
      assert.equal(await deleteCollection(store.client, store.collections, 'docs', true), 1);
      assert.equal(store.sessions(), sessions);
      assert.deepEqual(store.chunksOf('docs'), []);
    }
  });
});
