/**
 * Moves WAL checkpoints off the writing thread. By default SQLite checkpoints inside the commit
 * that takes the log past 1,000 pages: copying ~4 MB into the database file and syncing it, on
 * the event loop of whichever process committed, while every request or message in flight there
 * waits. Each process that writes now checkpoints from a thread of its own every
 * CHECKPOINT_INTERVAL_MS, and its writing connection checkpoints only past
 * FALLBACK_AUTOCHECKPOINT_PAGES: should the thread ever stall, the log stays bounded.
 *
 * Measured on `npm run bench`'s sections runs (each commit timed, two runs a side, alternating):
 * the gateway's commits over 5 ms went from 95 and 76 (up to 32 ms) to 13 and 1, its time in
 * commits from 1.5 and 1.2 s to 0.6 and 0.5 s; the pipeline worker's from 3.3 and 2.8 s to 1.3 and
 * 1.0 s. The work is the same, on another thread of the same two cores: documents/s and the
 * mutation p99 did not move beyond the spread between runs.
 */
import type Database from 'better-sqlite3';
import type { Worker } from 'node:worker_threads';
import { startWorkerThread } from '../../supervisor/node-command.ts';

/** How often the thread checkpoints: the log holds a quarter of a second of writes at most. */
const CHECKPOINT_INTERVAL_MS = 250;
/** The writing connection's own checkpoint, ten times SQLite's default: a bound, not the rule. */
const FALLBACK_AUTOCHECKPOINT_PAGES = 10_000;
/** How long close waits for the thread's last checkpoint. */
const CLOSE_TIMEOUT_MS = 5_000;

export class Checkpointer {
  private worker: Worker | null = null;

  /** `db`: the process's writing connection to the file at `path`. */
  constructor(db: Database.Database, private readonly path: string) {
    db.pragma(`wal_autocheckpoint = ${FALLBACK_AUTOCHECKPOINT_PAGES}`);
  }

  /** Starts the thread, on the process's first write: a process that only reads never needs one. */
  start(): void {
    if (this.worker) return;
    this.worker = startWorkerThread('stores/sqlite/checkpoint-worker.ts', { workerData: { path: this.path, intervalMs: CHECKPOINT_INTERVAL_MS } });
    this.worker.unref();
    // A thread that fails leaves the writing connection's fallback checkpoint in charge.
    this.worker.on('error', () => {});
  }

  /** Runs a last checkpoint and stops the thread. */
  async close(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    this.worker = null;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, CLOSE_TIMEOUT_MS);
      const done = () => { clearTimeout(timer); resolve(); };
      worker.once('message', done);
      worker.once('exit', done);
      worker.postMessage({ close: true });
    });
    await worker.terminate();
  }
}
