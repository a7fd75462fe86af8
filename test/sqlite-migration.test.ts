/**
 * Migrating an existing embedded store: a file written by schema version 2 (a document id unique
 * across collections) opens under the current schema with every document, chunk, vector, job and
 * resume point kept, and from then on a document's identity is (collection, documentId).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import * as sqliteVec from 'sqlite-vec';
import { migrate, SCHEMA_VERSION } from '../stores/sqlite/migrations.ts';
import { openSqliteStore } from '../stores/sqlite/sqlite-store.ts';
import { vectorToBlob } from '../stores/sqlite/vector-search.ts';
import type { Store } from '../stores/store.ts';

const DIMENSION = 4;
const EMBEDDER = { name: 'migration-test', dimension: DIMENSION };

/** Writes a version-2 database: one collection, one document with two chunks, its job and a resume point. */
function writeVersion2(path: string): void {
  const db = new Database(path);
  try {
    sqliteVec.load(db);
    db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    migrate(db, 2);
    assert.equal(db.pragma('user_version', { simple: true }), 2);
    const now = Date.now();
    db.prepare('INSERT INTO collections (id, name, embedder_name, embedder_dimension, created_at) VALUES (1, ?, ?, ?, ?)')
      .run('docs', EMBEDDER.name, DIMENSION, now);
    db.exec(`CREATE VIRTUAL TABLE vec_c1 USING vec0(embedding float[${DIMENSION}] distance_metric=cosine)`);
    db.prepare(
      `INSERT INTO documents (id, collection, title, mime_type, source_url, status, chunk_count, metadata, content_hash, created_at, updated_at)
       VALUES ('doc-1', 'docs', 'Old title', 'text/plain', NULL, 'INDEXED', 2, '{"lang":"en"}', 'hash-1', ?, ?)`,
    ).run(now, now);
    const vectors = [new Float32Array([1, 0, 0, 0]), new Float32Array([0, 1, 0, 0])];
    vectors.forEach((vector, ordinal) => {
      const { lastInsertRowid } = db.prepare(
        `INSERT INTO chunks (id, document_id, collection, ordinal, text, heading, metadata, title)
         VALUES (?, 'doc-1', 'docs', ?, ?, NULL, '{"lang":"en"}', 'Old title')`,
      ).run(`chunk-${ordinal}`, ordinal, `old text ${ordinal}`);
      db.prepare('INSERT INTO vec_c1 (rowid, embedding) VALUES (?, ?)').run(BigInt(lastInsertRowid), vectorToBlob(vector));
    });
    db.prepare(
      `INSERT INTO jobs (id, collection, document_id, status, stage, progress, attempts, priority, seq, created_at, updated_at, finished_at)
       VALUES ('job-1', 'docs', 'doc-1', 'FAILED', 'EMBED', 0.5, 1, 'NORMAL', 3, ?, ?, ?)`,
    ).run(now, now, now);
    db.prepare("INSERT INTO resume_points (job_id, stage, message, saved_at) VALUES ('job-1', 'EMBED', '{}', ?)").run(now);
  } finally {
    db.close();
  }
}

describe('SQLite schema migration', function () {
  this.timeout(30_000);
  let dir: string;
  let store: Store | null = null;

  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'rag-sqlite-migration-')); });
  afterEach(async () => {
    await store?.close();
    store = null;
    await rm(dir, { recursive: true, force: true });
  });

  it('when a version-2 file is opened, should keep its data and key documents by (collection, documentId)', async () => {
    const path = join(dir, 'store.db');
    writeVersion2(path);
    store = openSqliteStore({ path, searchThreads: false });

    const document = await store.getDocument('docs', 'doc-1');
    assert.equal(document?.title, 'Old title');
    assert.deepEqual(document?.metadata, { lang: 'en' });
    assert.equal(await store.countChunks('docs', 'doc-1'), 2);
    assert.equal((await store.getJob('job-1'))?.status, 'FAILED');
    assert.equal((await store.getResumePoint('job-1'))?.stage, 'EMBED');
    const hits = await store.search({ collection: 'docs', vector: new Float32Array([1, 0.1, 0, 0]), k: 5 });
    assert.deepEqual(hits.map((hit) => hit.chunkId), ['chunk-0', 'chunk-1']);
    // Chunks written before the lexical index are in it.
    const lexical = await store.search({ collection: 'docs', mode: 'LEXICAL', text: 'old text', k: 5 });
    assert.deepEqual(lexical.map((hit) => hit.chunkId).sort(), ['chunk-0', 'chunk-1']);

    // The same id (and chunk ids) in another collection is now a second document, not a move.
    const job = await store.createJob({ id: 'job-2', collection: 'other', documentId: 'doc-1', priority: 'NORMAL' });
    const outcome = await store.indexDocument({
      jobId: job.id,
      document: { id: 'doc-1', collection: 'other', title: 'Other', mimeType: null, sourceUrl: null, metadata: {}, contentHash: 'hash-2' },
      embedder: EMBEDDER,
      chunks: [{ id: 'chunk-0', ordinal: 0, text: 'other text', heading: null, vector: new Float32Array([0, 0, 1, 0]) }],
    });
    assert.equal(outcome.kind, 'indexed');
    assert.equal((await store.getDocument('docs', 'doc-1'))?.title, 'Old title');
    assert.equal(await store.countChunks('docs', 'doc-1'), 2);
    assert.equal(await store.countChunks('other', 'doc-1'), 1);

    // Deleting still cascades to the chunks, now through the composite key.
    assert.equal(await store.deleteDocument('docs', 'doc-1'), true);
    assert.equal(await store.countChunks('docs', 'doc-1'), 0);
    assert.equal(await store.countChunks('other', 'doc-1'), 1);
    assert.deepEqual(await store.search({ collection: 'docs', vector: new Float32Array([1, 0, 0, 0]), k: 5 }), []);
  });

  it('when a version-7 file (one lexical index shared by every collection) is opened, should give each collection its own', async () => {
    const path = join(dir, 'store.db');
    const db = new Database(path);
    try {
      db.pragma('journal_mode = WAL');
      migrate(db, 7);
      const now = Date.now();
      for (const [id, collection, text] of [[1, 'docs', 'lighthouses guide ships'], [2, 'other', 'the lighthouse keeper']] as const) {
        db.prepare('INSERT INTO collections (id, name, embedder_name, embedder_dimension, created_at) VALUES (?, ?, ?, ?, ?)')
          .run(id, collection, EMBEDDER.name, DIMENSION, now);
        db.prepare(`INSERT INTO documents (id, collection, status, created_at, updated_at) VALUES ('doc-1', ?, 'INDEXED', ?, ?)`).run(collection, now, now);
        db.prepare(`INSERT INTO chunks (id, document_id, collection, ordinal, text) VALUES (?, 'doc-1', ?, 0, ?)`).run(`${collection}-0`, collection, text);
      }
    } finally {
      db.close();
    }
    store = openSqliteStore({ path, searchThreads: false });
    for (const collection of ['docs', 'other']) {
      const hits = await store.search({ collection, mode: 'LEXICAL', text: 'lighthouse', k: 5 });
      assert.deepEqual(hits.map((hit) => hit.chunkId), [`${collection}-0`]);
    }
    const migrated = new Database(path, { readonly: true });
    try {
      const tables = migrated.prepare("SELECT name FROM sqlite_master WHERE name GLOB '*fts*' AND name NOT GLOB 'fts_c*_*'").pluck().all();
      assert.deepEqual(tables.sort(), ['fts_c1', 'fts_c2']);
      assert.deepEqual(migrated.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name GLOB 'chunks_fts*'").all(), []);
    } finally {
      migrated.close();
    }
  });

  it('when a version-8 file (descending job indexes) is opened, should make them ascending and still page its jobs newest first', async () => {
    const path = join(dir, 'store.db');
    const db = new Database(path);
    try {
      db.pragma('journal_mode = WAL');
      migrate(db, 8);
      const insert = db.prepare(`INSERT INTO jobs (id, collection, document_id, status, priority, created_at, updated_at)
        VALUES (?, ?, ?, 'SUCCEEDED', 'NORMAL', ?, ?)`);
      // Five jobs, two of them created in the same millisecond: the id orders those.
      for (const [id, createdAt] of [['job-a', 1000], ['job-b', 2000], ['job-c', 2000], ['job-d', 3000], ['job-e', 4000]] as const) {
        insert.run(id, 'docs', `doc-${id}`, createdAt, createdAt);
      }
    } finally {
      db.close();
    }
    store = openSqliteStore({ path, searchThreads: false });
    const seen: string[] = [];
    let after: string | undefined;
    do {
      const page = await store.listJobs({ first: 2, collection: 'docs', ...(after === undefined ? {} : { after }) });
      seen.push(...page.jobs.map(({ job }) => job.id));
      after = page.hasNextPage ? page.jobs.at(-1)!.cursor : undefined;
    } while (after !== undefined);
    assert.deepEqual(seen, ['job-e', 'job-d', 'job-c', 'job-b', 'job-a']);

    const migrated = new Database(path, { readonly: true });
    try {
      for (const index of ['jobs_by_created', 'jobs_by_collection', 'jobs_by_status', 'jobs_by_document']) {
        const columns = migrated.prepare(`SELECT name, desc FROM pragma_index_xinfo('${index}') WHERE key = 1`).all() as { name: string; desc: number }[];
        assert.ok(columns.length >= 2, `${index} has its columns`);
        assert.deepEqual(columns.filter((column) => column.desc !== 0), [], `${index} is ascending`);
      }
    } finally {
      migrated.close();
    }
  });

  it('when a migrated file is opened again, should find it at the current version and change nothing', async () => {
    const path = join(dir, 'store.db');
    writeVersion2(path);
    await openSqliteStore({ path, searchThreads: false }).close();
    store = openSqliteStore({ path, searchThreads: false });
    assert.equal(await store.countChunks('docs', 'doc-1'), 2);
    const db = new Database(path, { readonly: true });
    try {
      assert.equal(db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
      assert.deepEqual(db.pragma('foreign_key_check'), []);
    } finally {
      db.close();
    }
  });
});
