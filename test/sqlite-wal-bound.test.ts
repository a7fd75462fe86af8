import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { openSqliteStore } from '../stores/sqlite/sqlite-store.ts';
import { BACKGROUND_WRITER, FOREGROUND_WRITER, type LockWaiting } from '../stores/sqlite/write-queue.ts';

/** The log size past which the writer under test starts the log over. */
const LIMIT = 1024 * 1024;
/** How long each case writes: long enough for several of the once-a-second looks (wal-bound.ts). */
const WRITING_MS = 4_000;

// Two read-only connections on another thread take turns holding a read transaction, each
// beginning before the other ends, so some reader is in the log at every moment: as searches,
// index followers and long scans in several processes can be. SQLite's automatic checkpoint then
// never starts the log over, and it grows with every commit. A reader that begins when a
// checkpoint has copied the whole log reads the database file instead, and once the other reader
// ends, the next commit starts the log over: a writer slowed by a loaded machine left such gaps
// between its commits (the control saw a restart in CI, 2026-12-07). So a reader begins only after
// a commit since the one before it began (a third connection watches data_version), or after
// HOLD_MS without one, which a background writer's restart waits out (wal-bound.ts waits a second).
const OVERLAPPING_READERS = `
const { workerData, parentPort } = require('node:worker_threads');
const Database = require('better-sqlite3');
const HOLD_MS = 300;
const readers = [0, 1].map(() => new Database(workerData.path, { readonly: true }));
const watcher = new Database(workerData.path, { readonly: true });
const version = () => watcher.pragma('data_version', { simple: true });
let seen = version();
let since = Date.now();
const read = (i) => { readers[i].exec('BEGIN'); readers[i].prepare('SELECT count(*) FROM jobs').get(); };
let turn = 0;
let stopping = false;
parentPort.on('message', () => { stopping = true; });
read(0);
parentPort.postMessage('reading');
const next = () => {
  if (stopping) {
    for (const reader of readers) { if (reader.inTransaction) reader.exec('COMMIT'); reader.close(); }
    watcher.close();
    parentPort.postMessage('stopped');
    return;
  }
  const now = version();
  if (now !== seen || Date.now() - since >= HOLD_MS) {
    seen = now;
    since = Date.now();
    read((turn + 1) % 2);
    readers[turn % 2].exec('COMMIT');
    turn++;
  }
  setTimeout(next, 20);
};
setTimeout(next, 20);
`;

// Four read-only connections take turns holding a read transaction for 3.5 s, a new one each
// second, so at any moment a reader that began less than a second ago stays in the log for more
// than another two: longer than a restart waits (wal-bound.ts), as exact scans at 1M chunks do.
const LONG_READERS = `
const { workerData, parentPort } = require('node:worker_threads');
const Database = require('better-sqlite3');
const readers = [0, 1, 2, 3].map(() => new Database(workerData.path, { readonly: true }));
let turn = 0;
let stopping = false;
parentPort.on('message', () => { stopping = true; });
const begin = () => {
  if (stopping) {
    for (const reader of readers) { if (reader.inTransaction) reader.exec('COMMIT'); reader.close(); }
    parentPort.postMessage('stopped');
    return;
  }
  const reader = readers[turn++ % 4];
  if (reader.inTransaction) reader.exec('COMMIT');
  reader.exec('BEGIN');
  reader.prepare('SELECT count(*) FROM jobs').get();
  setTimeout(() => { if (reader.inTransaction && !stopping) reader.exec('COMMIT'); }, 3500);
  if (turn === 1) parentPort.postMessage('reading');
  setTimeout(begin, 1000);
};
begin();
`;

describe('The write-ahead log stays bounded while readers never all pause', function () {
  this.timeout(60_000);
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'rag-wal-bound-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  /** Writes job rows for `writingMs` beside the readers; the log's size after each batch, and when. */
  async function writeBesideReaders(lockWaiting: LockWaiting, readerCode = OVERLAPPING_READERS, writingMs = WRITING_MS): Promise<{ at: number; bytes: number }[]> {
    const dbPath = path.join(dir, 'rag.sqlite');
    const store = openSqliteStore({ path: dbPath, searchThreads: false, lockWaiting, walRestartBytes: LIMIT });
    const readers = new Worker(readerCode, { eval: true, workerData: { path: dbPath } });
    const sizes: { at: number; bytes: number }[] = [];
    try {
      await new Promise((resolve, reject) => { readers.once('message', resolve); readers.once('error', reject); });
      const started = Date.now();
      for (let batch = 0; Date.now() - started < writingMs; batch++) {
        await Promise.all(Array.from({ length: 50 }, (_, i) => store.createJob({
          id: `job-${batch}-${i}`, collection: 'wal', documentId: `doc-${batch}-${i}`, priority: 'NORMAL',
        })));
        sizes.push({ at: Date.now() - started, bytes: statSync(`${dbPath}-wal`).size });
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      assert.equal((await store.listJobs({ collection: 'wal', first: 1 })).jobs.length, 1);
    } finally {
      readers.postMessage('stop');
      await new Promise((resolve) => readers.once('message', resolve));
      await readers.terminate();
      await store.close();
    }
    return sizes;
  }

  /** The longest time the log stayed over the limit. */
  function longestOver(sizes: readonly { at: number; bytes: number }[]): number {
    let longest = 0;
    let since: number | null = null;
    for (const { at, bytes } of sizes) {
      if (bytes <= LIMIT) since = null;
      else longest = Math.max(longest, at - (since ??= at));
    }
    return longest;
  }
  const restartsIn = (sizes: readonly { bytes: number }[]) => sizes.filter((size, i) => i > 0 && size.bytes < sizes[i - 1]!.bytes).length;

  it('a background writer starts the log over about once a second past the limit, and the file is trimmed', async () => {
    const sizes = await writeBesideReaders(BACKGROUND_WRITER);
    assert.ok(restartsIn(sizes) >= 2, `the log was started over ${restartsIn(sizes)} times`);
    // A look once a second, a restart waiting at most a second for the readers: never long over.
    assert.ok(longestOver(sizes) < 2_500, `the log stayed over the limit for ${longestOver(sizes)} ms`);
    // Trimmed back to the limit at the first commit after each restart.
    const afterRestarts = sizes.filter((size, i) => i > 0 && size.bytes < sizes[i - 1]!.bytes);
    assert.ok(afterRestarts.every((size) => size.bytes <= LIMIT), `after restarts: ${afterRestarts.map((size) => size.bytes).join(', ')} bytes`);
  });

  it('while readers outlast a restart\'s wait, a background writer tries less and less often, so writes are not held up most of the time', async () => {
    const sizes = await writeBesideReaders(BACKGROUND_WRITER, LONG_READERS, 9_000);
    assert.equal(restartsIn(sizes), 0, 'the readers kept the log from being started over');
    // A restart that waited out the readers held the write lock, and this writer's thread, for a second.
    const stalls = sizes.filter((size, i) => i > 0 && size.at - sizes[i - 1]!.at >= 800).length;
    // Once a second that would be seven or more; backing off after 1, 2, 4 s, at most four.
    assert.ok(stalls >= 1 && stalls <= 4, `${stalls} writes waited for a restart that did not happen`);
  });

  it('a writer that may not block leaves it to the others, and alone lets the log grow (the control)', async () => {
    const sizes = await writeBesideReaders(FOREGROUND_WRITER);
    assert.equal(restartsIn(sizes), 0);
    assert.ok(longestOver(sizes) >= 2_500, `the log stayed over the limit for only ${longestOver(sizes)} ms: the readers did not keep it from restarting`);
  });
});
