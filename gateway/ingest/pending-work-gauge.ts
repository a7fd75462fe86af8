/**
 * The gateway's high-water mark on pending work: the ready messages of the queues accepted jobs
 * enter (fetch for URLs, parse for inline content), read with passive queue.declares
 * (checkQueue) at most once per `cacheMs`, plus the jobs this replica accepted since that read.
 * The reading is renewed in the background once it is half its age, so under steady traffic no
 * mutation waits for the broker: waiting for that round trip (a channel and a passive declare per
 * queue) every 500 ms was the slowest 1–2 % of all mutations. Only a reading past its age, after a
 * lull, is waited for, and for READ_WAIT_MS at most. Past the mark, ingest mutations answer BACKPRESSURE before anything is
 * recorded, so a client retries later and nothing accepted is ever dropped. The mark is soft
 * (another replica's accepts show up at the next read); the stage queue's x-max-length is the hard
 * bound.
 */
import type { Broker } from '../../messaging/broker.ts';
import { checkStageQueues } from '../../messaging/stage-depth.ts';
import { untilAborted } from '../../messaging/until-aborted.ts';

/** Options of the gauge. */
export interface PendingWorkOptions {
  /** Queues whose ready messages count as pending work (those of the entry stages, ENTRY_STAGES). */
  readonly queues: readonly string[];
  /** Pending jobs past which new work is refused; 0 turns the check off. */
  readonly maxPendingJobs: number;
  /** How long one depth reading is reused, in ms (PENDING_CHECK_MS). */
  readonly cacheMs: number;
  /** Longest a mutation waits for a reading past its age before it is admitted on the last one, in ms. */
  readonly readWaitMs?: number;
}

/**
 * A reading takes a few ms; one that has not come within this bound is not coming soon: RabbitMQ
 * reads nothing from a connection it blocks during a resource alarm, so a channel asked for on it
 * is answered only when the alarm clears, and a mutation waiting for it was never answered (a
 * fault test's ingest, sent as the alarm was raised, timed out after 10 s).
 */
export const READ_WAIT_MS = 1000;

/** Result of an admission check. */
export type Admission = { readonly admitted: true } | { readonly admitted: false; readonly pending: number; readonly retryAfterSeconds: number };

export class PendingWorkGauge {
  private depth = 0;
  private readAt = -Infinity;
  private acceptedSinceRead = 0;
  private reading: Promise<void> | null = null;
  private drainPerSecond: number | null = null;

  constructor(private readonly broker: Broker, private readonly options: PendingWorkOptions) {}

  /** Whether `count` more jobs may be accepted now. Broker failures admit: publish reports them. */
  async admit(count: number): Promise<Admission> {
    const max = this.options.maxPendingJobs;
    if (max <= 0) return { admitted: true };
    await this.refresh().catch(() => {});
    const pending = this.depth + this.acceptedSinceRead;
    if (pending + count <= max) return { admitted: true };
    return { admitted: false, pending, retryAfterSeconds: this.retryAfter(pending + count - max) };
  }

  /** Counts jobs published since the last reading, so bursts between readings are not missed. */
  accepted(count: number): void {
    this.acceptedSinceRead += count;
  }

  private async refresh(): Promise<void> {
    const age = Date.now() - this.readAt;
    if (age < this.options.cacheMs / 2) return;
    // Without a connection, do not wait for one here: the publish that follows waits (up to
    // PUBLISH_TIMEOUT_MS) and reports UNAVAILABLE, so the mutation fails within that bound once.
    if (!this.broker.connected) return;
    this.reading ??= this.read();
    if (age < this.options.cacheMs) return;
    // A reading never rejects (see read): a rejection here is the bound passing.
    await untilAborted(this.reading, AbortSignal.timeout(this.options.readWaitMs ?? READ_WAIT_MS)).catch(() => {});
  }

  /** One reading of the queues; a failed one leaves the last reading in place. */
  private read(): Promise<void> {
    return (async () => {
      try {
        const before = { depth: this.depth + this.acceptedSinceRead, at: this.readAt };
        const messageCount = (await this.broker.withChannel((channel) => checkStageQueues(channel, this.options.queues))).ready;
        const now = Date.now();
        if (Number.isFinite(before.at) && now > before.at) {
          // Observed drain rate, for the retry-after hint.
          const drained = (before.depth - messageCount) / ((now - before.at) / 1000);
          if (drained > 0) this.drainPerSecond = drained;
        }
        this.depth = messageCount;
        this.acceptedSinceRead = 0;
        this.readAt = now;
      } catch {
        // Broker failures admit (see admit): the publish that follows reports them.
      } finally {
        this.reading = null;
      }
    })();
  }

  private retryAfter(excess: number): number {
    if (!this.drainPerSecond) return 5;
    return Math.min(60, Math.max(1, Math.ceil(excess / this.drainPerSecond)));
  }
}
