/**
 * The WAL checkpointer's thread (checkpointer.ts): on a connection of its own, copies the pages
 * committed to the write-ahead log back into the database file every interval, so no writer's
 * commit has to. A PASSIVE checkpoint waits for no reader or writer; when another process's
 * checkpointer holds the file's checkpoint lock this one's is skipped, as there is nothing to do.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const { path, intervalMs } = workerData as { path: string; intervalMs: number };
const db = new Database(path, { fileMustExist: true });
db.pragma('synchronous = NORMAL');

function checkpoint(): void {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // SQLITE_BUSY or SQLITE_LOCKED: another checkpoint runs; the next interval tries again.
  }
}

const timer = setInterval(checkpoint, intervalMs);
parentPort!.on('message', () => {
  clearInterval(timer);
  checkpoint();
  db.close();
  parentPort!.postMessage({ closed: true });
});
