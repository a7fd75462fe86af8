import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openSqliteStore } from '../stores/sqlite/sqlite-store.ts';
import type { Store } from '../stores/store.ts';

/** Pages of the database as SQLite sees it, and as the file on disk holds them (the rest waits in the log). */
function pages(path: string): { logical: number; onDisk: number } {
  const db = new Database(path, { readonly: true });
  try {
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    return { logical: db.pragma('page_count', { simple: true }) as number, onDisk: statSync(path).size / pageSize };
  } finally {
    db.close();
  }
}

describe('SqliteStore write-ahead log checkpoints', function () {
  this.timeout(30_000);
  let dir: string;
  let store: Store | null = null;
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'rag-checkpoint-')); });
  afterEach(async () => {
    await store?.close();
    store = null;
    await rm(dir, { recursive: true, force: true });
  });

  it('when a writer commits and then goes quiet, should copy its pages into the database file from its own thread', async () => {
    const path = join(dir, 'store.db');
    store = openSqliteStore({ path, searchThreads: false });
    const embedder = { name: 'checkpoint-test', dimension: 64 };
    // About 700 pages of the log: fewer than SQLite's own commit-time checkpoint (1,000) would take.
    for (let d = 0; d < 40; d++) {
      const jobId = `job-${d}`;
      await store.createJob({ id: jobId, collection: 'wal', documentId: `doc-${d}`, priority: 'NORMAL' });
      await store.indexDocument({
        jobId,
        document: { id: `doc-${d}`, collection: 'wal', title: null, mimeType: null, sourceUrl: null, metadata: {}, contentHash: null },
        embedder,
        chunks: Array.from({ length: 10 }, (_, i) => ({ id: `doc-${d}:${i}`, ordinal: i, text: `chunk ${d} ${i} ${'words '.repeat(1000)}`, heading: null, vector: new Float32Array(64).fill(1 / 8) })),
      });
    }
    // No commit follows, so only the store's checkpoint thread can move the log into the file.
    let now = pages(path);
    for (const deadline = Date.now() + 5_000; now.onDisk < now.logical && Date.now() < deadline; now = pages(path)) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.ok(now.logical > 200, `pages written: ${now.logical}`);
    assert.equal(now.onDisk, now.logical, 'every committed page is in the database file');
    assert.equal((await store.getCollection('wal'))?.chunkCount, 400);
  });
});
