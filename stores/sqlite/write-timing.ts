/**
 * Optional accounting of the store's writes, for profiling (`npm run bench` with BENCH_PROFILE):
 * per operation, how long it waited from being asked for until its transaction held SQLite's
 * write lock (the single writer shared by every process), how long its statements ran and its
 * share of the commit. Off unless RAG_STORE_TIMING_DIR names a folder; then SIGUSR2 writes the
 * figures since the previous SIGUSR2 to `<dir>/writes-<RAG_STORE_TIMING_NAME or pid>.json` and
 * starts counting again, so a run can be measured apart from the rest.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';

interface Totals { count: number; waitMs: number; workMs: number; commitMs: number; maxWaitMs: number }

const DIR = process.env.RAG_STORE_TIMING_DIR;
let totals = new Map<string, Totals>();
let since = Date.now();

if (DIR) {
  process.on('SIGUSR2', () => {
    const file = path.join(DIR, `writes-${process.env.RAG_STORE_TIMING_NAME ?? process.pid}.json`);
    writeFileSync(file, JSON.stringify({ argv: process.argv.slice(1), seconds: (Date.now() - since) / 1000, operations: Object.fromEntries(totals) }));
    totals = new Map();
    since = Date.now();
  });
}

/** Accounts one write (a no-op unless enabled). */
export function recordWrite(operation: string, waitMs: number, workMs: number, commitMs: number): void {
  if (!DIR) return;
  const entry = totals.get(operation) ?? { count: 0, waitMs: 0, workMs: 0, commitMs: 0, maxWaitMs: 0 };
  entry.count += 1;
  entry.waitMs += waitMs;
  entry.workMs += workMs;
  entry.commitMs += commitMs;
  entry.maxWaitMs = Math.max(entry.maxWaitMs, waitMs);
  totals.set(operation, entry);
}
