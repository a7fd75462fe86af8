/**
 * The outbox relay: publishes the messages that ingest committed with their jobs (the
 * transactional outbox, Store.acceptJob) and removes each once the broker confirmed it.
 *
 * At least once: a message is removed only after its confirm, so a crash between the two
 * publishes it again, and every stage is idempotent. Messages are leased while a relay works on
 * them, so several gateways share one store without publishing a message twice at once. A
 * message the broker did not take (unreachable, blocked, returned, queue full) stays leased by
 * this relay and is tried again with back-off; the job stays QUEUED meanwhile.
 */
import type { Logger } from '../observability/logger.ts';
import type { OutboxEntry, Store } from '../stores/store.ts';
import type { Broker } from './broker.ts';
import { BrokerRejectedError } from './broker-errors.ts';
import { errorMessage } from './errors.ts';

/** Options of the relay; their defaults live in config/config.ts. */
export interface OutboxRelayOptions {
  /** Messages published at once, each awaiting its confirm (config: OUTBOX_BATCH_SIZE). */
  readonly batchSize: number;
  /** How often the outbox is read when nothing woke the relay, in ms (config: OUTBOX_POLL_MS). */
  readonly pollMs: number;
  /** How long a claimed message is this relay's before another may take it, in ms (config: OUTBOX_LEASE_MS). */
  readonly leaseMs: number;
}

const RETRY_FIRST_DELAY_MS = 250;
const RETRY_MAX_DELAY_MS = 5000;

export class OutboxRelay {
  private running = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private woken = false;
  /** Claimed messages the broker did not take yet: tried again before new ones are claimed. */
  private held: OutboxEntry[] = [];
  /** The broker's last refusal of a held message because its queue is full (MAX_STAGE_QUEUE_LENGTH). */
  private rejection: BrokerRejectedError | null = null;

  constructor(
    private readonly store: Store,
    private readonly broker: Broker,
    private readonly logger: Logger,
    private readonly options: OutboxRelayOptions,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run().catch((error) => {
      // Never silently: a relay that stopped would leave accepted jobs QUEUED until the stall watchdog.
      this.logger.error('outbox relay stopped', { error: errorMessage(error) });
      process.exitCode = 1;
    });
  }

  /**
   * While the broker refuses held messages because their queue is full, the refusal: ingest answers
   * BACKPRESSURE with it instead of growing the outbox behind a full queue.
   */
  saturation(): BrokerRejectedError | null {
    return this.held.length > 0 ? this.rejection : null;
  }

  /** A message was committed: publish it now instead of at the next poll. */
  notify(): void {
    this.woken = true;
    this.wake?.();
  }

  /** Stops after the batch in flight; unpublished messages stay in the outbox for the next start. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  /** Runs until stop(); an unexpected error is logged and the loop goes on after a poll interval. */
  private async run(): Promise<void> {
    const backoff = { delay: RETRY_FIRST_DELAY_MS };
    while (this.running) {
      try {
        await this.step(backoff);
      } catch (error) {
        this.logger.error('outbox relay step failed; going on', { error: errorMessage(error) });
        await this.idle(this.options.pollMs);
      }
    }
  }

  /** Claims (after what it holds), publishes and completes one batch, then waits as the outcome asks. */
  private async step(backoff: { delay: number }): Promise<void> {
    let batch: OutboxEntry[];
    try {
      const room = this.options.batchSize - this.held.length;
      batch = [...this.held, ...(room > 0 ? await this.store.claimOutbox(room, this.options.leaseMs) : [])];
    } catch (error) {
      this.logger.warn('outbox not readable; trying again', { error: errorMessage(error) });
      return this.idle(this.options.pollMs);
    }
    if (batch.length === 0) return this.idle(this.options.pollMs);
    // Each publish as a promise of its own: a synchronous throw fails that message, not the batch.
    const results = await Promise.allSettled(batch.map(async (entry) =>
      this.broker.publish(entry.exchange, entry.routingKey, entry.content, entry.options)));
    const sent = batch.filter((_, index) => results[index]!.status === 'fulfilled');
    this.held = batch.filter((_, index) => results[index]!.status === 'rejected');
    this.rejection = results.map((result) => (result.status === 'rejected' ? result.reason : null))
      .find((reason): reason is BrokerRejectedError => reason instanceof BrokerRejectedError) ?? null;
    await this.store.completeOutbox(sent.map((entry) => entry.id)).catch((error) => {
      // They are published: after the lease they go out again, which idempotent stages absorb.
      this.logger.warn('published outbox messages not removed', { count: sent.length, error: errorMessage(error) });
    });
    if (this.held.length === 0) {
      backoff.delay = RETRY_FIRST_DELAY_MS;
      return;
    }
    const reason = results.find((result): result is PromiseRejectedResult => result.status === 'rejected')?.reason;
    this.logger.warn('outbox messages not published; trying again', { count: this.held.length, delayMs: backoff.delay, error: errorMessage(reason) });
    await this.idle(backoff.delay);
    backoff.delay = Math.min(backoff.delay * 2, RETRY_MAX_DELAY_MS);
  }

  /** Waits `ms`, or less when notified. */
  private async idle(ms: number): Promise<void> {
    if (this.woken) { this.woken = false; return; }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() { clearTimeout(timer); resolve(); }
      this.wake = done;
    });
    this.wake = null;
    this.woken = false;
  }
}
