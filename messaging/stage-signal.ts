/**
 * The signal a stage's handler runs with, and why it was aborted: its job was cancelled, the stage
 * deadline passed or the process is shutting down; the first cause wins. One AbortController and
 * one timer per delivery. AbortSignal.timeout and AbortSignal.any made three signals per delivery,
 * and in Node 20 the combined one registers weak references and a finalizer: 3–4% of the pipeline
 * worker's samples, and garbage besides (issue 15).
 */
import { untilCalled } from './until-aborted.ts';

export type AbortCause = 'cancelled' | 'deadline' | 'shutdown';

export class StageSignal {
  private readonly controller = new AbortController();
  private readonly deadline: NodeJS.Timeout;
  private abortedBy: AbortCause | null = null;
  /** What race() does when the signal aborts while it waits. */
  private onAbort: ((reason: unknown) => void) | null = null;

  constructor(timeoutMs: number) {
    this.deadline = setTimeout(() => this.abort('deadline', new DOMException('The stage deadline passed', 'TimeoutError')), timeoutMs);
    this.deadline.unref();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Why the signal was aborted, or null while it is not. */
  get cause(): AbortCause | null {
    return this.abortedBy;
  }

  abort(cause: AbortCause, reason: unknown): void {
    if (this.abortedBy !== null) return;
    this.abortedBy = cause;
    clearTimeout(this.deadline);
    this.controller.abort(reason);
    const onAbort = this.onAbort;
    this.onAbort = null;
    onAbort?.(reason);
  }

  /**
   * Waits for `work`, but rejects with the abort reason as soon as this signal aborts (see
   * until-aborted.ts), for one piece of work at a time. A callback of this object instead of an
   * 'abort' listener on the signal: adding and removing a listener per delivery took 3–4% of the
   * pipeline worker's samples (issue 15).
   */
  race<T>(work: Promise<T>): Promise<T> {
    const { signal } = this.controller;
    return untilCalled(work, (abort) => {
      if (signal.aborted) abort(signal.reason);
      else this.onAbort = abort;
      return () => { this.onAbort = null; };
    });
  }

  /** The stage's work is over: its deadline no longer runs. */
  release(): void {
    clearTimeout(this.deadline);
  }
}
