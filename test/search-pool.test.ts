import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openSqliteStore } from '../stores/sqlite/sqlite-store.ts';
import { SearchPool } from '../stores/sqlite/search-pool.ts';
import type { SqliteSearch } from '../stores/sqlite/run-search.ts';

const EMBEDDER = { name: 'pool-test', dimension: 8 };

function unit(seed: number): Float32Array {
  const out = Float32Array.from({ length: EMBEDDER.dimension }, (_, i) => Math.sin(seed * 7 + i * 3));
  const norm = Math.hypot(...out);
  return out.map((v) => v / norm);
}

describe('search threads at close', function () {
  this.timeout(30_000);
  let dir: string;
  let path: string;
  let search: SqliteSearch;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rag-search-pool-'));
    path = join(dir, 'rag.sqlite');
    const store = openSqliteStore({ path });
    await store.createJob({ id: 'job-1', collection: 'pool', documentId: 'doc', priority: 'NORMAL' });
    await store.indexDocument({
      jobId: 'job-1',
      document: { id: 'doc', collection: 'pool', title: null, mimeType: null, sourceUrl: null, metadata: {}, contentHash: null },
      embedder: EMBEDDER,
      chunks: Array.from({ length: 12 }, (_, i) => ({ id: `c${i}`, ordinal: i, text: `otters float ${i}`, heading: null, vector: unit(i) })),
    });
    await store.close();
    const db = new Database(path, { readonly: true });
    const row = db.prepare("SELECT id, created_at FROM collections WHERE name = 'pool'").get() as { id: number; created_at: number };
    db.close();
    search = {
      collection: 'pool', collectionRowId: row.id, collectionCreatedAt: row.created_at, dimension: EMBEDDER.dimension,
      mode: 'HYBRID', vector: unit(3), text: 'otters', k: 3,
    };
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('end by themselves once the approximate index is saved: none is stopped', async () => {
    const pool = new SearchPool(path, 5_000, { minChunks: 0 }, 1 << 20);
    const hits = await pool.search(search);
    assert.equal(hits.length, 3, JSON.stringify(hits));
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.message);
    process.on('warning', onWarning);
    try {
      assert.deepEqual(await pool.close(), [], 'threads stopped');
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
    }
    assert.deepEqual(warnings.filter((message) => message.includes('search thread')), []);
    assert.ok(readdirSync(join(dir, 'ann')).some((file) => file.endsWith('.json')), 'the index was saved at close');
    // A search after close starts fresh threads, which load that save and answer as before.
    assert.deepEqual(await pool.search(search), hits);
    assert.deepEqual(await pool.close(), []);
  });

  it('stops a thread still running after the close timeout, and says so', async () => {
    const pool = new SearchPool(path, 5_000, { minChunks: 0 }, 1 << 20, 0);
    assert.equal((await pool.search(search)).length, 3);
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.message);
    process.on('warning', onWarning);
    try {
      assert.deepEqual((await pool.close()).sort(), ['lexical', 'vector']);
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
    }
    assert.equal(warnings.filter((message) => message.includes('search thread had not ended 0 ms after close')).length, 2, warnings.join('\n'));
  });
});
