/**
 * Keeps the write-ahead log from growing without bound. SQLite's automatic checkpoint copies the
 * log into the database file after commits, but starts the log over only at a moment when no reader
 * is using it, and searches, index followers and long scans in several processes can keep some
 * reader in it at every moment: "checkpoint starvation" (sqlite.org/wal.html, "Avoiding
 * Excessively Large WAL Files"). Measured here at 1M chunks, with two index writers beside the
 * bench's searches: the log reached 8 GB in about two minutes, and 24 GB in three with a reader
 * always open; at 100k, where no search is that long, it started over every few seconds.
 *
 * So after a commit, at most once a second, a background writer (an actor) looks at the log's size,
 * and past the limit runs a RESTART checkpoint: it takes the write lock, copies the log into the
 * database, waits for the readers still using the log to finish (readers that begin meanwhile read
 * the database file), and starts the log over. Writers in other processes wait for the lock
 * meanwhile, polling as for any write (write-queue.ts); the wait is capped at RESTART_WAIT_MS, well
 * under their busy timeout. A checkpoint that runs out of it held the write lock that long for
 * nothing, so the next look waits twice as long as the last (up to MAX_BACKOFF_MS): readers that
 * outlast the wait (exact scans of 3 s at 1M chunks) otherwise had the writers' restarts hold the
 * lock almost all the time, one a second from each writer, and a writer waited past its busy timeout.
 * `journal_size_limit` then trims the file to the limit at the next commit (trimLogAfterRestarts), so
 * the disk holds about the limit, not the log's high-water mark.
 *
 * Only background writers do this: the wait blocks the calling thread (SQLite's busy handler), and
 * the gateway's event loop answers clients. The actors write the chunks, which are what grows the log.
 */
import { statSync } from 'node:fs';
import type Database from 'better-sqlite3';
import { isBusy } from './write-queue.ts';

/** Log size past which a background writer starts the log over, in bytes (65,536 pages of 4 KiB). */
export const WAL_RESTART_BYTES = 256 * 1024 * 1024;
/** How often the log's size is looked at, at most (a stat of the file). */
const CHECK_EVERY_MS = 1_000;
/** How long a restart waits for the write lock and for readers to leave the log. */
const RESTART_WAIT_MS = 1_000;
/** The longest pause between looks after restarts that readers kept from finishing. */
const MAX_BACKOFF_MS = 32_000;

export class WalBound {
  private nextLookAt = -Infinity;
  private pauseMs = CHECK_EVERY_MS;

  constructor(
    private readonly db: Database.Database,
    private readonly walPath: string,
    private readonly limitBytes: number,
    private readonly busyTimeoutMs: number,
  ) {}

  /** After a commit: starts the log over if it has grown past the limit (looked at once a second at most). */
  afterCommit(): void {
    if (performance.now() < this.nextLookAt) return;
    this.nextLookAt = performance.now() + CHECK_EVERY_MS;
    if (walBytes(this.walPath) <= this.limitBytes) return;
    this.pauseMs = this.restart() ? CHECK_EVERY_MS : Math.min(this.pauseMs * 2, MAX_BACKOFF_MS);
    this.nextLookAt = performance.now() + this.pauseMs;
  }

  /** Whether the log was started over. */
  private restart(): boolean {
    this.db.pragma(`busy_timeout = ${RESTART_WAIT_MS}`);
    try {
      // Its row says busy 1 when a reader stayed in the log past the wait, or another process's
      // checkpoint ran.
      const [row] = this.db.pragma('wal_checkpoint(RESTART)') as { busy: number }[];
      return row?.busy === 0;
    } catch (error) {
      if (!isBusy(error)) {
        // The commit this follows succeeded; a later look tries again.
        process.emitWarning(`the write-ahead log was not restarted: ${error instanceof Error ? error.message : String(error)}`);
      }
      return false;
    } finally {
      this.db.pragma(`busy_timeout = ${this.busyTimeoutMs}`);
    }
  }
}

/**
 * Has every commit that starts a log over trim the file to `bytes` (`journal_size_limit`). The
 * log is started over by whichever connection writes first after a restart, so every writing
 * connection sets it, the gateway's too.
 */
export function trimLogAfterRestarts(db: Database.Database, bytes: number): void {
  db.pragma(`journal_size_limit = ${bytes}`);
}

function walBytes(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0; // no log yet
  }
}
