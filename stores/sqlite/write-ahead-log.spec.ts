import assert from 'node:assert/strict';
import type Database from 'better-sqlite3';
import { useWriteAheadLog } from './write-ahead-log.ts';

/** A connection whose journal_mode pragma fails with the given errors, in turn, then succeeds. */
function connection(failures: Error[]): { db: Database.Database; calls: () => number } {
  let calls = 0;
  const db = {
    pragma(text: string) {
      assert.equal(text, 'journal_mode = WAL');
      calls++;
      const failure = failures.shift();
      if (failure) throw failure;
      return 'wal';
    },
  } as unknown as Database.Database;
  return { db, calls: () => calls };
}

const busy = () => Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });

describe('switching a new file to WAL', () => {
  it('when another process holds the file at that moment (SQLITE_BUSY at once), should try again until it switches', () => {
    const { db, calls } = connection([busy(), busy()]);
    useWriteAheadLog(db, 5_000);
    assert.equal(calls(), 3);
  });

  it('when the file stays busy past the timeout, should throw the busy error', () => {
    const failures = Array.from({ length: 1_000 }, busy);
    const { db } = connection(failures);
    assert.throws(() => useWriteAheadLog(db, 50), /database is locked/);
  });

  it('when the error is not a busy file, should throw it at once', () => {
    const { db, calls } = connection([Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR' })]);
    assert.throws(() => useWriteAheadLog(db, 5_000), /disk I\/O error/);
    assert.equal(calls(), 1);
  });
});
