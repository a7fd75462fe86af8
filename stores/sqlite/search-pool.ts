/**
 * Runs searches in worker threads (see search-worker.ts), round robin, one request at
 * a time per worker queueing in its message port. Started on the first search, so processes
 * that never search (the actors) never start a thread.
 */
import { Worker } from 'node:worker_threads';
import type { SearchHit } from '../../schema/domain.ts';
import type { SqliteSearch } from './run-search.ts';

// Compiled (dist/), the worker is the JavaScript file beside this one. Run from the TypeScript
// sources, register tsx in the thread (loader flags given to the parent do not reach worker
// threads on Node 20), then load it.
const FROM_SOURCES = import.meta.url.endsWith('.ts');
const WORKER: string | URL = FROM_SOURCES
  ? `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))})
  .then(({ register }) => { register(); return import(${JSON.stringify(new URL('./search-worker.ts', import.meta.url).href)}); })`
  : new URL('./search-worker.js', import.meta.url);

/** How long close waits for a worker to save its approximate index. */
const CLOSE_SAVE_TIMEOUT_MS = 10_000;

interface Pending {
  resolve(hits: SearchHit[]): void;
  reject(error: Error): void;
}

export class SearchPool {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private turn = 0;

  constructor(
    private readonly path: string,
    private readonly size: number,
    private readonly busyTimeoutMs: number,
    private readonly annMinChunks: number,
  ) {}

  search(search: SqliteSearch): Promise<SearchHit[]> {
    if (this.workers.length === 0) this.start();
    const id = this.nextId++;
    const worker = this.workers[this.turn++ % this.workers.length]!;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, search });
    });
  }

  async close(): Promise<void> {
    const workers = this.workers.splice(0);
    // Each worker saves its approximate index first, so the next start loads it instead of rebuilding.
    await Promise.all(workers.map((worker) => new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, CLOSE_SAVE_TIMEOUT_MS);
      const done = () => { clearTimeout(timer); resolve(); };
      worker.on('message', (message: { closed?: boolean }) => { if (message.closed) done(); });
      worker.once('exit', done);
      worker.postMessage({ close: true });
    })));
    await Promise.all(workers.map((worker) => worker.terminate()));
    for (const { reject } of this.pending.values()) reject(new Error('the store was closed during the search'));
    this.pending.clear();
  }

  private start(): void {
    for (let i = 0; i < this.size; i++) {
      const worker = new Worker(WORKER, {
        eval: FROM_SOURCES, workerData: { path: this.path, busyTimeoutMs: this.busyTimeoutMs, annMinChunks: this.annMinChunks },
      });
      worker.unref();
      worker.on('message', (message: { id: number; hits?: SearchHit[]; error?: string }) => {
        const waiter = this.pending.get(message.id);
        if (!waiter) return;
        this.pending.delete(message.id);
        if (message.error !== undefined) waiter.reject(new Error(message.error));
        else waiter.resolve(message.hits ?? []);
      });
      worker.on('error', (error) => {
        // A crashed worker fails what waits on it; the next search starts fresh workers.
        for (const { reject } of this.pending.values()) reject(error);
        this.pending.clear();
        void this.close();
      });
      this.workers.push(worker);
    }
  }
}
