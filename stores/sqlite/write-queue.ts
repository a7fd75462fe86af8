/**
 * Group commit for one connection's writes. SQLite has one writer per file, shared here by the
 * gateway and every actor process; each write transaction takes that lock, and better-sqlite3
 * waits for it synchronously, blocking the whole event loop in SQLite's sleeping busy handler.
 * So writes are queued instead: the writes asked for while the lock is being taken (and while the
 * previous batch commits) go into the next batch, one `BEGIN IMMEDIATE … COMMIT` for all of them,
 * each in a savepoint of its own so one that throws rolls back alone and fails alone. The lock is
 * polled with the event loop free, so a process keeps working (and collecting its next writes)
 * while another holds it. A write's promise settles only after its batch commits: durability and
 * errors are as for one transaction per write.
 */
import type Database from 'better-sqlite3';
import { recordWrite } from './write-timing.ts';

interface Queued {
  readonly operation: string;
  readonly fn: () => unknown;
  readonly enqueuedAt: number;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** Writes per transaction at most, so one batch never holds the lock for long. */
const MAX_BATCH = 128;
/**
 * A batch stops taking writes once its statements have run this long: an index write of a large
 * document takes milliseconds, and every other process, the gateway's accepts included, waits
 * for the lock meanwhile.
 */
const MAX_BATCH_MS = 8;

/** How a process waits for SQLite's write lock. */
export interface LockWaiting {
  /**
   * Pauses between attempts to take the lock, in ms; the last repeats. Short and constant for a
   * process whose writes a client waits for (the gateway's accepts), backing off for background
   * writers (each failed attempt costs CPU).
   */
  readonly pollMs: readonly number[];
  /**
   * Pause before taking the lock again for writes queued behind a batch, in ms, so that another
   * process polling for the lock finds it free: without it a busy writer commits and takes the lock
   * again at once, and a poller can miss every gap.
   */
  readonly yieldMs: number;
  /**
   * Whether this process's thread may block in SQLite for up to a second now and then: the
   * restart of an overgrown write-ahead log waits for readers there (wal-bound.ts). Not the
   * gateway's, whose event loop answers clients.
   */
  readonly mayBlock: boolean;
}

/** Background writers (the actors): back off, and leave a gap between batches. */
export const BACKGROUND_WRITER: LockWaiting = { pollMs: [1, 2, 4, 8], yieldMs: 2, mayBlock: true };
/** A writer a client waits for (the gateway): poll every millisecond, take the next batch at once. */
export const FOREGROUND_WRITER: LockWaiting = { pollMs: [1], yieldMs: 0, mayBlock: false };

export class WriteQueue {
  private queued: Queued[] = [];
  private flushing: Promise<void> | null = null;

  /** Prepared once: an attempt to take a busy lock should cost as little as possible. */
  private readonly beginImmediate: Database.Statement;
  private readonly commit: Database.Statement;
  /**
   * Runs a write in a savepoint of the open transaction. Made once: better-sqlite3 builds four
   * wrapper functions each time `transaction()` is called, a measurable share of a small write.
   */
  private readonly inSavepoint: (fn: () => unknown) => unknown;

  /**
   * `busyTimeoutMs`: how long a batch waits for the lock before its writes fail with SQLITE_BUSY.
   * `afterCommit` runs after each batch commits, its writes settled (wal-bound.ts).
   */
  constructor(
    private readonly db: Database.Database,
    private readonly busyTimeoutMs: number,
    private readonly waiting: LockWaiting = BACKGROUND_WRITER,
    private readonly afterCommit: () => void = () => {},
  ) {
    this.beginImmediate = db.prepare('BEGIN IMMEDIATE');
    this.commit = db.prepare('COMMIT');
    this.inSavepoint = db.transaction((fn: () => unknown) => fn());
  }

  /** Runs `fn` (synchronous statements) in the next batch; resolves with its result once committed. */
  run<T>(operation: string, fn: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queued.push({ operation, fn, enqueuedAt: performance.now(), resolve: resolve as (value: unknown) => void, reject });
      this.flushing ??= this.flushAll();
    });
  }

  /** Settles every queued write (before closing the connection). */
  async drain(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  private async flushAll(): Promise<void> {
    try {
      // One macrotask later: the writes asked for in the same turn of the event loop share the batch.
      await new Promise((resolve) => setImmediate(resolve));
      while (this.queued.length > 0) {
        await this.flushBatch();
        if (this.queued.length > 0 && this.waiting.yieldMs > 0) await new Promise((resolve) => setTimeout(resolve, this.waiting.yieldMs));
      }
    } finally {
      // Synchronously after the last look at the queue: a write queued from here on starts a new flush.
      this.flushing = null;
    }
  }

  private async flushBatch(): Promise<void> {
    try {
      await this.begin();
    } catch (error) {
      for (const write of this.queued.splice(0)) write.reject(error);
      return;
    }
    const lockedAt = performance.now();
    const batch: Queued[] = [];
    const results: { ok: boolean; value: unknown; workMs: number }[] = [];
    while (this.queued.length > 0 && batch.length < MAX_BATCH && performance.now() - lockedAt < MAX_BATCH_MS) {
      const write = this.queued.shift()!;
      batch.push(write);
      const started = performance.now();
      try {
        // Nested in the open transaction, better-sqlite3 runs it in a savepoint.
        results.push({ ok: true, value: this.inSavepoint(write.fn), workMs: performance.now() - started });
      } catch (error) {
        results.push({ ok: false, value: error, workMs: performance.now() - started });
        // Some errors (disk full, I/O) make SQLite roll back the whole transaction: then none of the batch is written.
        if (!this.db.inTransaction) {
          for (const failed of batch) failed.reject(error);
          return;
        }
      }
    }
    const committing = performance.now();
    try {
      this.commit.run();
    } catch (error) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      for (const write of batch) write.reject(error);
      return;
    }
    const commitMs = performance.now() - committing;
    batch.forEach((write, i) => {
      const result = results[i]!;
      recordWrite(write.operation, lockedAt - write.enqueuedAt, result.workMs, commitMs / batch.length);
      if (result.ok) write.resolve(result.value);
      else write.reject(result.value);
    });
    this.afterCommit();
  }

  /** BEGIN IMMEDIATE without SQLite's blocking busy handler: tried again after `waiting.pollMs` until busyTimeoutMs. */
  private async begin(): Promise<void> {
    const deadline = performance.now() + this.busyTimeoutMs;
    for (let attempt = 0; ; attempt++) {
      // Only this statement goes without the busy timeout: reads keep it. (A prepared PRAGMA
      // statement run again does not change the timeout, so these are prepared each time.)
      this.db.pragma('busy_timeout = 0');
      try {
        this.beginImmediate.run();
        return;
      } catch (error) {
        if (!isBusy(error) || performance.now() > deadline) throw error;
      } finally {
        this.db.pragma(`busy_timeout = ${this.busyTimeoutMs}`);
      }
      const { pollMs } = this.waiting;
      const pause = pollMs[Math.min(attempt, pollMs.length - 1)];
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }
}

export function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}
