/**
 * Switching a database file to WAL (persistent, and a no-op once done). The switch needs an
 * exclusive lock on a new file, and when several processes open that file at once SQLite can
 * answer SQLITE_BUSY at once, without the busy handler (where waiting could deadlock two lock
 * upgrades): the two-process store test saw it once in CI, and the losing process exited. So the
 * switch is tried again until the busy timeout.
 */
import type Database from 'better-sqlite3';
import { isBusy } from './write-queue.ts';

/** Pause between attempts: long enough for the other opener to finish its switch. */
const RETRY_MS = 10;
const pause = new Int32Array(new SharedArrayBuffer(4));

export function useWriteAheadLog(db: Database.Database, timeoutMs: number): void {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      db.pragma('journal_mode = WAL');
      return;
    } catch (error) {
      if (!isBusy(error) || Date.now() >= deadline) throw error;
      // Opening is synchronous: a short blocking wait, only while another process switches the file.
      Atomics.wait(pause, 0, 0, RETRY_MS);
    }
  }
}
