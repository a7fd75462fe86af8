/**
 * Parses documents in a pool of worker processes, each document under a time and a memory
 * budget (issue 13). Parsers are synchronous: an AbortSignal cannot interrupt them, and in the
 * actor's own event loop one hostile document (quadratic Markdown, a PDF whose streams inflate to
 * gigabytes, nesting that overflows the stack) would stall every other job. In a worker process
 * it can only stall that worker, which is killed and replaced when it passes either budget; the
 * job then fails permanently, since the same bytes would fail the same way again.
 *
 * Processes rather than worker threads because the memory that matters is not all on the V8
 * heap: decompressed streams and archives are ArrayBuffers, which `resourceLimits` does not
 * count. A process's resident set (read from /proc while it parses) counts everything;
 * `--max-old-space-size` bounds the heap as well, on systems without /proc too.
 *
 * Small plain text, Markdown and HTML (`inlineMaxBytes`) parse in the calling thread instead.
 * Their parsers are linear, with nesting bounded: at the default 16 KiB the worst input measured
 * (`'['×n + 'a' + ']'×n` Markdown) holds the event loop 15 ms, deeply nested HTML 4–5 ms, and such
 * a document allocates nothing a memory budget would catch. For them the trip to a worker (IPC
 * both ways, a context switch, parse concurrency capped at the worker count) cost more than the
 * parse itself (issue 15).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { PermanentError, RetryableError } from '../../../messaging/errors.ts';
import { silentLogger, type Logger } from '../../../observability/logger.ts';
import type { ParsedDocument } from '../parsed-document.ts';
import { describeFailure, type FailureKind, type ParseTask, type TaskOutcome, type WorkerMessage } from './worker-protocol.ts';
import { normalizeMimeType } from '../../../schema/mime-types.ts';
import { entryPath, NODE_FLAGS } from '../../../supervisor/node-command.ts';

/** Options of a ParsePool; config/config.ts holds the defaults. */
export interface ParsePoolOptions {
  /** PARSE_WORKERS: worker processes, i.e. documents parsed at once. */
  readonly workers: number;
  /** PARSE_TIMEOUT_MS: wall-clock time one document may take to parse. */
  readonly timeoutMs: number;
  /** PARSE_MAX_MEMORY_MB: resident memory a worker process may reach while it parses. */
  readonly maxMemoryMb: number;
  /** PARSE_INLINE_MAX_BYTES: plain text, Markdown and HTML up to this size parse in the calling thread. Default 0: none. */
  readonly inlineMaxBytes?: number;
  /** How often a busy worker's memory is read. Default 20 ms. */
  readonly memoryCheckMs?: number;
  readonly logger?: Logger;
}

interface Task {
  readonly id: number;
  readonly mimeType: string;
  readonly content: Uint8Array;
  readonly resolve: (parsed: ParsedDocument) => void;
  readonly reject: (error: unknown) => void;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: () => void;
}

interface Worker {
  readonly child: ChildProcess;
  ready: boolean;
  task: Task | null;
  timers: NodeJS.Timeout[];
  /** The last bytes of its stderr: how V8 reports running out of heap. */
  stderrTail: string;
  /** Settles when it reports ready or exits. */
  readonly started: Promise<void>;
}

const WORKER_ENTRY = entryPath('services/parse/pool/parse-worker.ts');
/** The types whose small documents parse inline: formats whose parsers are linear (see above). */
const INLINE_TYPES: ReadonlySet<string> = new Set(['text/plain', 'text/markdown', 'text/x-markdown', 'text/html', 'application/xhtml+xml']);
const STDERR_TAIL_CHARS = 2000;

export class ParsePool {
  private readonly workers = new Set<Worker>();
  private readonly queue: Task[] = [];
  private nextId = 1;
  private closed = false;
  private readonly logger: Logger;
  private readonly memoryCheckMs: number;

  constructor(private readonly options: ParsePoolOptions) {
    this.logger = options.logger ?? silentLogger;
    this.memoryCheckMs = options.memoryCheckMs ?? 20;
  }

  /**
   * Starts every worker now, so the first documents do not wait for a process to start (a
   * second or two, which a short stage deadline would count against them), and loads the parsers
   * when small documents parse in this thread: loaded on the first such document instead, they
   * held its event loop about 0.3 s in the middle of a burst (issue 15). Resolves when each
   * worker has started or failed to and the parsers are loaded.
   */
  warm(): Promise<void> {
    while (!this.closed && this.workers.size < this.options.workers) this.spawn();
    const inline = (this.options.inlineMaxBytes ?? 0) > 0 ? [loadParsers()] : [];
    return Promise.all([...inline, ...[...this.workers].map((worker) => worker.started)]).then(() => undefined);
  }

  /**
   * Parses `content` as `mimeType` in a worker. Rejects with PermanentError when the document
   * cannot be parsed or passes a budget, with the signal's reason when it aborts (the worker is
   * stopped: a parse cannot be interrupted otherwise), with RetryableError when a worker dies.
   */
  parse(content: Uint8Array, mimeType: string, signal?: AbortSignal): Promise<ParsedDocument> {
    if (this.closed) return Promise.reject(new RetryableError('the parse pool is closed (shutting down)'));
    signal?.throwIfAborted();
    if (content.byteLength <= (this.options.inlineMaxBytes ?? 0) && INLINE_TYPES.has(normalizeMimeType(mimeType))) {
      return this.parseInline(content, mimeType);
    }
    return new Promise<ParsedDocument>((resolve, reject) => {
      const task: Task = {
        id: this.nextId++, mimeType, content, resolve, reject, signal,
        onAbort: () => this.abort(task, signal?.reason),
      };
      signal?.addEventListener('abort', task.onAbort, { once: true });
      this.queue.push(task);
      this.pump();
    });
  }

  /** Parses in this thread; fails as the same document would in a worker. */
  private async parseInline(content: Uint8Array, mimeType: string): Promise<ParsedDocument> {
    const { parseDocument } = await loadParsers();
    try {
      return await parseDocument(content, mimeType);
    } catch (error) {
      throw failure(describeFailure(error), this.options.maxMemoryMb);
    }
  }

  /** Ends every worker and fails queued documents (retryably: another process may take them). */
  async close(): Promise<void> {
    this.closed = true;
    for (const task of this.queue.splice(0)) this.settle(task, () => task.reject(new RetryableError('the parse pool closed')));
    const exits = [...this.workers].map((worker) => this.stop(worker, new RetryableError('the parse pool closed')));
    await Promise.all(exits);
  }

  /** Hands queued tasks to idle workers, starting workers while there are fewer than allowed. */
  private pump(): void {
    if (this.closed) return;
    for (const worker of this.workers) {
      if (this.queue.length === 0) break;
      if (worker.ready && worker.task === null) this.assign(worker, this.queue.shift()!);
    }
    const starting = () => [...this.workers].filter((worker) => !worker.ready).length;
    while (this.queue.length > starting() && this.workers.size < this.options.workers) this.spawn();
    // A worker is referenced while it starts (someone may await warm(), or documents wait for it)
    // and while it parses, so a process with nothing else to do stays up; idle ones do not keep it alive.
    for (const worker of this.workers) this.setReferenced(worker, worker.task !== null || !worker.ready);
  }

  private spawn(): void {
    const child = fork(WORKER_ENTRY, [], {
      execArgv: workerExecArgv(this.options.maxMemoryMb),
      serialization: 'advanced', // Uint8Array content crosses as bytes, not JSON
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    let started!: () => void;
    const worker: Worker = { child, ready: false, task: null, timers: [], stderrTail: '', started: new Promise((resolve) => { started = resolve; }) };
    child.once('exit', () => started());
    this.workers.add(worker);
    this.setReferenced(worker, true); // until it is ready: see pump()
    child.stderr?.setEncoding('utf8').on('data', (text: string) => {
      worker.stderrTail = (worker.stderrTail + text).slice(-STDERR_TAIL_CHARS);
    });
    child.on('message', (message: WorkerMessage) => {
      if (message.type === 'ready') {
        worker.ready = true;
        started();
        this.pump();
      } else {
        this.complete(worker, message);
      }
    });
    child.on('error', (error) => this.logger.warn('parse worker error', { error: error.message }));
    child.on('exit', (code, signal) => this.exited(worker, code, signal));
  }

  private assign(worker: Worker, task: Task): void {
    worker.task = task;
    const message: ParseTask = { id: task.id, mimeType: task.mimeType, content: task.content };
    worker.child.send(message);
    const { timeoutMs, maxMemoryMb } = this.options;
    worker.timers.push(setTimeout(() => void this.stop(worker, new PermanentError(
      `took longer than PARSE_TIMEOUT_MS (${timeoutMs} ms) to parse, so the parse was stopped: ` +
        'split or simplify the document, or raise PARSE_TIMEOUT_MS',
    )), timeoutMs));
    worker.timers.push(setInterval(() => {
      const usedMb = residentMb(worker.child.pid);
      if (usedMb !== null && usedMb > maxMemoryMb) void this.stop(worker, memoryError(maxMemoryMb, `it reached ${Math.round(usedMb)} MB`));
    }, this.memoryCheckMs));
  }

  private complete(worker: Worker, outcome: TaskOutcome): void {
    const task = worker.task;
    if (task === null || task.id !== outcome.id) return;
    this.idle(worker);
    if (outcome.type === 'parsed') this.settle(task, () => task.resolve(outcome.parsed));
    else this.settle(task, () => task.reject(failure(outcome, this.options.maxMemoryMb)));
    this.pump();
  }

  /** Kills the worker (its parse cannot be interrupted any other way) and fails its task with `error`. */
  private stop(worker: Worker, error: unknown): Promise<void> {
    const task = worker.task;
    this.idle(worker);
    if (task) this.settle(task, () => task.reject(error));
    this.workers.delete(worker);
    const exited = new Promise<void>((resolve) => {
      if (worker.child.exitCode !== null || worker.child.signalCode !== null) resolve();
      else worker.child.once('exit', () => resolve());
    });
    this.setReferenced(worker, true); // so whoever awaits its exit (close()) sees it
    worker.child.kill('SIGKILL');
    if (!this.closed) void this.warm(); // a replacement, so the pool keeps its size
    this.pump();
    return exited;
  }

  private exited(worker: Worker, code: number | null, signal: NodeJS.Signals | null): void {
    if (!this.workers.delete(worker)) return; // stopped on purpose: already handled
    const task = worker.task;
    this.idle(worker);
    const heapExhausted = /heap limit|out of memory/i.test(worker.stderrTail);
    this.logger.warn('parse worker exited', { code, signal, stderr: worker.stderrTail.slice(-500) });
    if (task) {
      const error = heapExhausted
        ? memoryError(this.options.maxMemoryMb, 'its heap ran out')
        : new RetryableError(`the parse worker exited unexpectedly (code ${code}, signal ${signal})`);
      this.settle(task, () => task.reject(error));
    }
    if (!worker.ready) {
      // It died while starting: fail what waits rather than start processes in a loop.
      const error = new RetryableError(`a parse worker could not start (code ${code}): ${worker.stderrTail.slice(-300)}`);
      for (const queued of this.queue.splice(0)) this.settle(queued, () => queued.reject(error));
      return;
    }
    this.pump();
  }

  private abort(task: Task, reason: unknown): void {
    const queued = this.queue.indexOf(task);
    if (queued >= 0) {
      this.queue.splice(queued, 1);
      this.settle(task, () => task.reject(reason));
      this.pump();
      return;
    }
    for (const worker of this.workers) {
      if (worker.task === task) void this.stop(worker, reason);
    }
  }

  private idle(worker: Worker): void {
    for (const timer of worker.timers) clearTimeout(timer);
    worker.timers = [];
    worker.task = null;
  }

  private settle(task: Task, action: () => void): void {
    task.signal?.removeEventListener('abort', task.onAbort);
    action();
  }

  private setReferenced(worker: Worker, referenced: boolean): void {
    const { child } = worker;
    const handles = [child, child.channel, child.stderr] as ({ ref?(): void; unref?(): void } | null | undefined)[];
    for (const handle of handles) {
      if (referenced) handle?.ref?.();
      else handle?.unref?.();
    }
  }
}

let parsers: Promise<typeof import('../parse-document.ts')> | undefined;

/** The parsers, loaded once: a process that never parses inline never loads them. */
function loadParsers(): Promise<typeof import('../parse-document.ts')> {
  return parsers ??= import('../parse-document.ts');
}

function failure(outcome: { readonly kind: FailureKind; readonly message: string }, maxMemoryMb: number): Error {
  switch (outcome.kind) {
    case 'permanent': return new PermanentError(outcome.message);
    case 'memory': return memoryError(maxMemoryMb, outcome.message);
    case 'retryable': return new RetryableError(outcome.message);
  }
}

function memoryError(maxMemoryMb: number, detail: string): PermanentError {
  return new PermanentError(
    `needed more than PARSE_MAX_MEMORY_MB (${maxMemoryMb} MB) to parse (${detail}), so the parse was stopped: ` +
      'a document whose compressed streams or archive entries expand this far is refused; raise PARSE_MAX_MEMORY_MB for a genuine one',
  );
}

/** Resident set size of a process in MB, from /proc (Linux); null where it cannot be read. */
function residentMb(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/** A worker runs the way this process runs (compiled, or through tsx), with its heap capped. */
function workerExecArgv(maxMemoryMb: number): string[] {
  return [...NODE_FLAGS, `--max-old-space-size=${maxMemoryMb}`];
}
