import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { WriteQueue } from './write-queue.ts';

describe('WriteQueue (group commit)', () => {
  let dir: string;
  let db: Database.Database;
  let queue: WriteQueue;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'rag-write-queue-'));
    db = new Database(path.join(dir, 'q.db'));
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)');
    queue = new WriteQueue(db, 5000);
  });
  afterEach(async () => {
    await queue.drain();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const insert = (id: number, v: string | null) => () => db.prepare('INSERT INTO t (id, v) VALUES (?, ?)').run(id, v).changes;
  const rows = () => db.prepare('SELECT id FROM t ORDER BY id').all().map((row) => (row as { id: number }).id);

  it('when writes are asked for in one turn, should commit them in one transaction and fail only the one that throws', async () => {
    const reader = new Database(path.join(dir, 'q.db'), { readonly: true });
    let seenByReader = -1;
    const results = await Promise.allSettled([
      queue.run('a', insert(1, 'x')),
      queue.run('b', insert(2, null)),
      // Runs after the first write: another connection does not see it yet, so both share one transaction.
      queue.run('c', () => { seenByReader = (reader.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n; return insert(3, 'z')(); }),
    ]);
    reader.close();
    assert.deepEqual(results.map((result) => result.status), ['fulfilled', 'rejected', 'fulfilled']);
    assert.equal(seenByReader, 0);
    assert.deepEqual(rows(), [1, 3]);
  });

  it('when the writes of one turn take longer than a batch may hold the lock, should commit them in several transactions', async () => {
    const reader = new Database(path.join(dir, 'q.db'), { readonly: true });
    const committedBefore: number[] = [];
    const slowInsert = (id: number) => () => {
      committedBefore.push((reader.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n);
      const until = performance.now() + 10;
      while (performance.now() < until); // a write whose statements run for 10 ms
      return insert(id, 'x')();
    };
    await Promise.all([1, 2, 3, 4].map((id) => queue.run('slow', slowInsert(id))));
    reader.close();
    assert.deepEqual(rows(), [1, 2, 3, 4]);
    // Each 10 ms write passes the 8 ms bound alone: every write starts a transaction of its own,
    // after the ones before it committed (in one transaction, each would see 0).
    assert.deepEqual(committedBefore, [0, 1, 2, 3]);
  });

  it('when a write is asked for from the continuation of a committed one, should still run it', async () => {
    await queue.run('a', insert(1, 'x'));
    await queue.run('b', insert(2, 'y'));
    assert.deepEqual(rows(), [1, 2]);
  });

  it('when another connection holds the write lock, should wait with the event loop free and commit after it lets go', async () => {
    const other = new Database(path.join(dir, 'q.db'));
    other.exec('BEGIN IMMEDIATE');
    const write = queue.run('a', insert(1, 'x'));
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(rows(), [], 'nothing written while the lock is held');
    other.exec('COMMIT');
    other.close();
    assert.equal(await write, 1);
    clearInterval(timer);
    assert.ok(ticks >= 5, `timers ran while waiting (${ticks})`);
    assert.deepEqual(rows(), [1]);
  });
});
