/**
 * Exponential back-off through fixed-delay retry queues. Attempt n waits tier[min(n-1, last)],
 * stretched by a jitter factor chosen at random among a few fixed ones: each (tier × factor) is
 * its own queue, so jitter never makes a message wait behind another (no head-of-line blocking).
 */
import type { Stage } from '../schema/domain.ts';

/** Options of the retry policy: RETRY_DELAYS_MS, MAX_ATTEMPTS and MAX_ATTEMPTS_<STAGE> (defaults in config/). */
export interface RetryPolicyOptions {
  /** Base delays of successive retries, in ms. */
  readonly tiersMs: readonly number[];
  /** Deliveries before a message is dead-lettered. */
  readonly maxAttempts: number;
  /** Per-stage overrides of maxAttempts. */
  readonly maxAttemptsByStage: Partial<Record<Stage, number>>;
}

/** Jitter factors; one is picked at random per retry. */
const JITTER_FACTORS = [1, 1.25, 1.5];

export class RetryPolicy {
  constructor(private readonly options: RetryPolicyOptions) {
    if (options.tiersMs.length === 0) throw new Error('retry tiers must not be empty');
  }

  /** Every delay a retry may use: the retry queues to declare. */
  delays(): number[] {
    const all = new Set<number>();
    for (const tier of this.options.tiersMs) for (const factor of JITTER_FACTORS) all.add(Math.round(tier * factor));
    return [...all].sort((a, b) => a - b);
  }

  maxAttempts(stage: Stage): number {
    return this.options.maxAttemptsByStage[stage] ?? this.options.maxAttempts;
  }

  /** Delay before the next delivery after failed attempt `attempt` (1-based). */
  delayAfter(attempt: number, random: () => number = Math.random): number {
    const tiers = this.options.tiersMs;
    const tier = tiers[Math.min(attempt - 1, tiers.length - 1)]!;
    const factor = JITTER_FACTORS[Math.floor(random() * JITTER_FACTORS.length)] ?? 1;
    return Math.round(tier * factor);
  }
}
