/**
 * Where a long test spends its time, step by step. Mocha's timeout says only that a test ran too
 * long; a test that keeps a StepLog prints, just before its timeout, the step it is still in and
 * how long each finished step took, so a rare timeout names what it waited for.
 */
import { performance } from 'node:perf_hooks';

export class StepLog {
  private readonly finished: string[] = [];
  private current: { name: string; startedAt: number } | null = null;
  private readonly startedAt = performance.now();

  constructor(private readonly title: string) {}

  /** Runs one named step, timing it. */
  async step<T>(name: string, work: () => Promise<T>): Promise<T> {
    const startedAt = performance.now();
    this.current = { name, startedAt };
    try {
      return await work();
    } finally {
      this.finished.push(`${name} ${Math.round(performance.now() - startedAt)} ms`);
      this.current = null;
    }
  }

  /** What the test is doing and has done, as one line. */
  describe(): string {
    const now = performance.now();
    const current = this.current ? `still in "${this.current.name}" after ${Math.round(now - this.current.startedAt)} ms` : 'between steps';
    return `${this.title}: ${current}, ${Math.round(now - this.startedAt)} ms in all; done: ${this.finished.join(', ') || 'nothing'}`;
  }

  /** Prints describe() to stderr if the test still runs after `ms`; call the result when it ends. */
  reportAfter(ms: number): () => void {
    const timer = setTimeout(() => console.error(`[step log] ${this.describe()}`), ms);
    timer.unref();
    return () => clearTimeout(timer);
  }
}
