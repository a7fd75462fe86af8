import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { openSqliteStore } from '../stores/sqlite/sqlite-store.ts';
import type { Store } from '../stores/store.ts';
import { entryPath, NODE_FLAGS, PROJECT_ROOT } from '../supervisor/node-command.ts';
import { describeStoreContract } from './store-contract.ts';

const run = promisify(execFile);
const storeModule = entryPath('stores/sqlite/sqlite-store.ts');

describeStoreContract('sqlite', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'rag-sqlite-store-'));
  const store = openSqliteStore({ path: join(dir, 'nested', 'store.db') });
  return {
    store,
    cleanup: async () => {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

/**
 * A separate process that opens the store file and indexes `rounds` documents, cycling over
 * shared document ids so both writers replace each other's versions.
 */
const WRITER = `
import { openSqliteStore } from ${JSON.stringify(storeModule)};
const [path, writer, rounds] = process.argv.slice(-3);
const store = openSqliteStore({ path });
for (let i = 0; i < Number(rounds); i++) {
  const documentId = 'doc-' + (i % 5);
  const job = await store.createJob({ id: writer + '-job-' + i, collection: 'shared', documentId, priority: 'NORMAL' });
  const count = 1 + ((i + writer.length) % 4);
  const chunks = Array.from({ length: count }, (_, ordinal) => {
    const vector = new Float32Array(8).fill(0.1);
    vector[ordinal] = 1;
    return { id: documentId + ':' + writer + '-' + i + ':' + ordinal, ordinal, text: 'text', heading: null, vector };
  });
  await store.indexDocument({
    jobId: job.id,
    document: { id: documentId, collection: 'shared', title: writer, mimeType: null, sourceUrl: null, metadata: { writer }, contentHash: writer + i },
    embedder: { name: 'test', dimension: 8 },
    chunks,
  });
}
await store.close();
`;

describe('SqliteStore on a file shared by several processes', function () {
  this.timeout(60_000);
  let dir: string;
  const stores: Store[] = [];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rag-sqlite-shared-'));
  });
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('when two instances open the same file, should see each other\'s writes', async () => {
    const path = join(dir, 'store.db');
    const [a, b] = [openSqliteStore({ path }), openSqliteStore({ path })];
    stores.push(a, b);
    const job = await a.createJob({ id: 'job-1', collection: 'docs', documentId: 'doc-1', priority: 'LOW' });
    assert.deepEqual(await b.getJob('job-1'), job);
    await b.indexDocument({
      jobId: 'job-1',
      document: { id: 'doc-1', collection: 'docs', title: 't', mimeType: null, sourceUrl: null, metadata: {}, contentHash: null },
      embedder: { name: 'test', dimension: 2 },
      chunks: [{ id: 'doc-1:0', ordinal: 0, text: 'hello', heading: null, vector: new Float32Array([1, 0]) }],
    });
    assert.equal((await a.getJob('job-1'))?.status, 'SUCCEEDED');
    const hits = await a.search({ collection: 'docs', vector: new Float32Array([1, 0]), k: 1 });
    assert.deepEqual(hits.map((hit) => hit.chunkId), ['doc-1:0']);
  });

  it('when two processes create the file and index concurrently, should leave consistent rows', async () => {
    const path = join(dir, 'store.db');
    const rounds = 40;
    const writers = ['writer-a', 'writer-bb'];
    await Promise.all(writers.map((writer) => run(
      process.execPath,
      [...NODE_FLAGS, '--input-type=module', '-e', WRITER, path, writer, String(rounds)],
      { cwd: PROJECT_ROOT },
    )));

    const store = openSqliteStore({ path });
    stores.push(store);
    const jobs = await store.listJobs({ first: 1000 });
    assert.equal(jobs.jobs.length, rounds * writers.length);
    assert.ok(jobs.jobs.every(({ job }) => job.status === 'SUCCEEDED'));

    let total = 0;
    const hits = await store.search({ collection: 'shared', vector: new Float32Array(8).fill(1), k: 1000 });
    for (let d = 0; d < 5; d++) {
      const document = await store.getDocument('shared', `doc-${d}`);
      assert.ok(document, `doc-${d} indexed`);
      assert.equal(await store.countChunks('shared', document.id), document.chunkCount);
      // Every vector of the document belongs to the one version its row describes: no mixed writes.
      const versions = new Set(hits.filter((hit) => hit.documentId === document.id).map((hit) => hit.chunkId.split(':')[1]));
      assert.equal(versions.size, 1);
      assert.ok([...versions][0]!.startsWith(document.title!));
      total += document.chunkCount;
    }
    assert.equal(hits.length, total, 'one vector per chunk');
    assert.equal((await store.getCollection('shared'))?.chunkCount, total);
  });
});

// The same contract with every vector search going through the approximate index.
describeStoreContract('sqlite, approximate index', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'rag-sqlite-ann-'));
  const store = openSqliteStore({ path: join(dir, 'store.db'), annMinChunks: 0 });
  return {
    store,
    cleanup: async () => {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});


describe('SqliteStore: deleting a large collection in steps', function () {
  this.timeout(60_000);
  let dir: string;
  let store: Store;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rag-sqlite-delete-'));
    // Seven chunk rows per transaction: the 40 below take six.
    store = openSqliteStore({ path: join(dir, 'store.db'), searchThreads: false, chunkDeleteBatch: 7 });
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  const embedder = { name: 'steps-test', dimension: 4 };
  async function index(collection: string, documentId: string, chunks: number): Promise<void> {
    const job = await store.createJob({ id: `job-${collection}-${documentId}-${Math.random()}`, collection, documentId, priority: 'NORMAL' });
    const document = { id: documentId, collection, title: null, mimeType: 'text/plain', sourceUrl: null, metadata: {}, contentHash: documentId };
    await store.indexDocument({
      jobId: job.id, document, embedder,
      chunks: Array.from({ length: chunks }, (_, ordinal) => ({
        id: `${documentId}:${ordinal}`, ordinal, text: `kettle ${documentId} part ${ordinal}`, heading: null, vector: Float32Array.from([1, ordinal, 0.5, 0.1]),
      })),
    });
  }

  it('when other writes come meanwhile, should let them through between its steps, and a document indexed meanwhile stays', async () => {
    for (let i = 0; i < 4; i++) await index('big', `doc-${i}`, 10);
    await index('other', 'doc-0', 3);
    const order: string[] = [];
    const deletion = store.deleteCollection('big').then((count) => { order.push('deleted'); return count; });
    // Asked for after the deletion began: each is answered before it ends.
    const meanwhile = (async () => {
      await store.createJob({ id: 'job-meanwhile', collection: 'other', documentId: 'doc-9', priority: 'NORMAL' });
      order.push('job created');
      await index('big', 'doc-new', 2);
      order.push('indexed into big');
      assert.ok((await store.search({ collection: 'big', mode: 'LEXICAL', text: 'kettle', k: 50 })).every((hit) => hit.documentId === 'doc-new'));
    })();
    assert.equal(await deletion, 4);
    await meanwhile;
    assert.deepEqual(order, ['job created', 'indexed into big', 'deleted']);
    for (let i = 0; i < 4; i++) assert.equal(await store.getDocument('big', `doc-${i}`), null);
    assert.equal(await store.countChunks('big', 'doc-new'), 2, 'the document indexed meanwhile keeps its chunks');
    assert.equal((await store.getCollection('big'))?.documentCount, 1);
    const hits = await store.search({ collection: 'big', mode: 'HYBRID', vector: Float32Array.from([1, 0, 0.5, 0.1]), text: 'kettle', k: 50 });
    assert.deepEqual([...new Set(hits.map((hit) => hit.documentId))], ['doc-new']);
    assert.equal(await store.countChunks('other', 'doc-0'), 3, 'another collection untouched');
  });

  it('when nothing was indexed meanwhile, should leave nothing of it: no documents, chunks, entry or search', async () => {
    for (let i = 0; i < 3; i++) await index('big', `doc-${i}`, 9);
    assert.equal(await store.deleteCollection('big'), 3);
    assert.equal(await store.getCollection('big'), null);
    assert.deepEqual(await store.listCollections(), []);
    assert.equal(await store.countChunks('big', 'doc-0'), 0);
    assert.deepEqual(await store.search({ collection: 'big', mode: 'LEXICAL', text: 'kettle', k: 5 }), []);
    await index('big', 'doc-0', 2);
    assert.equal((await store.getCollection('big'))?.chunkCount, 2, 'made afresh');
  });
});
