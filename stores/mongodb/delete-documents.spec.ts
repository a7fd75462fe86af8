/** How a collection is deleted on MongoDB, against recording fakes (the contract suite runs it against a server). */
import assert from 'node:assert/strict';
import type { MongoClient } from 'mongodb';
import { deleteCollection, TRANSACTION_MAX_CHUNKS } from './delete-documents.ts';
import type { StoreCollections } from './index-document.ts';

interface Call { readonly op: string; readonly inSession: boolean }

function fakes(chunkCount: number) {
  const calls: Call[] = [];
  let sessions = 0;
  const record = (op: string, options?: { session?: unknown }) => calls.push({ op, inSession: options?.session !== undefined });
  const collections = {
    chunks: {
      countDocuments: async (_filter: unknown, options: { limit: number }) => Math.min(chunkCount, options.limit),
      deleteMany: async (_filter: unknown, options?: { session?: unknown }) => { record('chunks.deleteMany', options); return { deletedCount: chunkCount }; },
    },
    documents: { deleteMany: async (_filter: unknown, options?: { session?: unknown }) => { record('documents.deleteMany', options); return { deletedCount: 3 }; } },
    registry: { deleteOne: async (_filter: unknown, options?: { session?: unknown }) => { record('registry.deleteOne', options); return { deletedCount: 1 }; } },
  } as unknown as StoreCollections;
  const client = {
    startSession: () => {
      sessions += 1;
      return { withTransaction: async (work: () => Promise<void>) => { await work(); }, endSession: async () => {} };
    },
  } as unknown as MongoClient;
  return { collections, client, calls, sessions: () => sessions };
}

describe('MongoDB collection deletion (no server needed)', () => {
  const order = ['registry.deleteOne', 'chunks.deleteMany', 'documents.deleteMany'];

  it('when the collection is small enough for a transaction, should delete registry entry, chunks and documents in one', async () => {
    const { collections, client, calls, sessions } = fakes(TRANSACTION_MAX_CHUNKS);
    assert.equal(await deleteCollection(client, collections, 'docs', true), 3);
    assert.equal(sessions(), 1);
    assert.deepEqual(calls, order.map((op) => ({ op, inSession: true })));
  });

  it('when it holds more chunks than a transaction can, should delete step by step, the registry entry first, outside any transaction', async () => {
    const { collections, client, calls, sessions } = fakes(TRANSACTION_MAX_CHUNKS + 1);
    assert.equal(await deleteCollection(client, collections, 'docs', true), 3);
    assert.equal(sessions(), 0);
    assert.deepEqual(calls, order.map((op) => ({ op, inSession: false })));
  });

  it('when the deployment has no transactions, should take the same steps without a session', async () => {
    const { collections, client, calls, sessions } = fakes(5);
    assert.equal(await deleteCollection(client, collections, 'docs', false), 3);
    assert.equal(sessions(), 0);
    assert.deepEqual(calls.map((call) => call.op), order);
  });
});
