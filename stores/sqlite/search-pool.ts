/**
 * Runs searches in two worker threads (see search-worker.ts), one request at a time per worker
 * queueing in its message port: the vector thread holds the approximate indexes and answers
 * vector rankings, the lexical thread holds word postings (lexical-postings.ts) and answers
 * lexical rankings. HYBRID asks both at once and fuses their rankings here, so a lexical ranking
 * that reads a common word's postings or falls back to FTS5 (tens of ms at 100k chunks) never
 * holds up a vector search queued behind it, and HYBRID takes the longer of its halves instead of
 * their sum. Started on the first search, so processes that never search
 * (the actors) never start a thread.
 */
import type { Worker } from 'node:worker_threads';
import { startWorkerThread } from '../../supervisor/node-command.ts';
import type { SearchHit } from '../../schema/domain.ts';
import { fuseHybrid, hybridDepth, type SqliteSearch } from './run-search.ts';
import type { AnnSettings } from './ann-index.ts';

/** How long close waits by default for a thread to save its approximate index and end. */
const CLOSE_SAVE_TIMEOUT_MS = 10_000;

/** Which rankings a thread answers; only the vector thread keeps approximate indexes. */
export type SearchRole = 'vector' | 'lexical';
const ROLES: readonly SearchRole[] = ['vector', 'lexical'];

interface Pending {
  resolve(hits: SearchHit[]): void;
  reject(error: Error): void;
}

export class SearchPool {
  private readonly workers = new Map<SearchRole, Worker>();
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;

  constructor(
    private readonly path: string,
    private readonly busyTimeoutMs: number,
    /**
     * Collection sizes from which the approximate index is used and up to which it is a scan, and
     * the memory the indexes may take (ann-index.ts).
     */
    private readonly ann: AnnSettings,
    /** Bytes the lexical thread keeps postings in (lexical-postings.ts); 0: none. */
    private readonly postingsBytes: number,
    /** How long close waits for a thread to save and end before stopping it. */
    private readonly closeTimeoutMs = CLOSE_SAVE_TIMEOUT_MS,
  ) {}

  async search(search: SqliteSearch): Promise<SearchHit[]> {
    switch (search.mode) {
      case 'VECTOR': return this.run('vector', search);
      case 'LEXICAL': return this.run('lexical', search);
      case 'HYBRID': {
        // Two read transactions, so two snapshots a moment apart: a chunk written or deleted in
        // between is in one ranking and not the other, as it would be for a search a moment earlier
        // or later. Neither ranking returns a chunk that its own snapshot does not hold.
        const k = hybridDepth(search);
        const [vector, lexical] = await Promise.all([
          this.run('vector', { ...search, mode: 'VECTOR', k }),
          this.run('lexical', { ...search, mode: 'LEXICAL', k }),
        ]);
        return fuseHybrid(vector, lexical, search.k, search.lexicalWeight);
      }
    }
  }

  private run(role: SearchRole, search: SqliteSearch): Promise<SearchHit[]> {
    if (this.workers.size === 0) this.start();
    const id = this.nextId++;
    const worker = this.workers.get(role)!;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, search });
    });
  }

  /**
   * Asks each thread to save its approximate index and end. A thread still running after the
   * close timeout (a save of a very large index on a slow disk) is stopped, with a warning: its
   * index then loads from its last save and replays the changes since. Stopping a thread inside a
   * native call can abort the whole process, so a thread that finishes in time is never stopped.
   * Resolves to the roles of the threads it had to stop.
   */
  async close(): Promise<SearchRole[]> {
    const workers = [...this.workers.entries()];
    this.workers.clear();
    const stopped: SearchRole[] = [];
    await Promise.all(workers.map(async ([role, worker]) => {
      const ended = new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), this.closeTimeoutMs);
        worker.once('exit', () => { clearTimeout(timer); resolve(true); });
      });
      worker.postMessage({ close: true });
      if (await ended) return;
      stopped.push(role);
      process.emitWarning(`the ${role} search thread had not ended ${this.closeTimeoutMs} ms after close and was stopped`
        + (role === 'vector' ? '; its approximate indexes load from their last save next time and replay the changes since' : ''));
      await worker.terminate();
    }));
    for (const { reject } of this.pending.values()) reject(new Error('the store was closed during the search'));
    this.pending.clear();
    return stopped;
  }

  private start(): void {
    for (const role of ROLES) {
      const worker = startWorkerThread('stores/sqlite/search-worker.ts', {
        workerData: { role, path: this.path, busyTimeoutMs: this.busyTimeoutMs, ann: this.ann, postingsBytes: this.postingsBytes },
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
      this.workers.set(role, worker);
    }
  }
}
