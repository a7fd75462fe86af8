/**
 * Exponential back-off through fixed-delay retry queues. Attempt n waits tier[min(n-1, last)],
 * stretched by a jitter factor chosen at random among a few fixed ones: each (tier × factor) is
 * its own queue, so jitter never makes a message wait behind another (no head-of-line blocking).
 */
import type { Stage } from '../schema/domain.ts';

/** Options of the retry policy. */
export interface RetryPolicyOptions {
  /** Base delays of successive retries, in ms. Default [1000, 4000, 16000, 64000]. */
  readonly tiersMs?: readonly number[];
  /** Jitter factors; one is picked at random per retry. Default [1, 1.25, 1.5]. */
  readonly jitterFactors?: readonly number[];
  /** Deliveries before a message is dead-lettered, per stage. Default 5 for every stage. */
  readonly maxAttempts?: Partial<Record<Stage, number>>;
  readonly defaultMaxAttempts?: number;
}

export class RetryPolicy {
  readonly tiersMs: readonly number[];
  readonly jitterFactors: readonly number[];
  private readonly maxAttemptsByStage: Partial<Record<Stage, number>>;
  private readonly defaultMaxAttempts: number;

  constructor(options: RetryPolicyOptions = {}) {
    this.tiersMs = options.tiersMs ?? [1000, 4000, 16000, 64000];
    this.jitterFactors = options.jitterFactors ?? [1, 1.25, 1.5];
    this.maxAttemptsByStage = options.maxAttempts ?? {};
    this.defaultMaxAttempts = options.defaultMaxAttempts ?? 5;
    if (this.tiersMs.length === 0) throw new Error('retry tiers must not be empty');
  }

  /** Every delay a retry may use: the retry queues to declare. */
  delays(): number[] {
    const all = new Set<number>();
    for (const tier of this.tiersMs) for (const factor of this.jitterFactors) all.add(Math.round(tier * factor));
    return [...all].sort((a, b) => a - b);
  }

  maxAttempts(stage: Stage): number {
    return this.maxAttemptsByStage[stage] ?? this.defaultMaxAttempts;
  }

  /** Delay before the next delivery after failed attempt `attempt` (1-based). */
  delayAfter(attempt: number, random: () => number = Math.random): number {
    const tier = this.tiersMs[Math.min(attempt - 1, this.tiersMs.length - 1)]!;
    const factor = this.jitterFactors[Math.floor(random() * this.jitterFactors.length)] ?? 1;
    return Math.round(tier * factor);
  }
}
