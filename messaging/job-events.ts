/**
 * Publishing job events and cancel signals on the events exchange.
 * Events are informational: the store already holds the change, so a failed event publish
 * is logged, never allowed to fail the work.
 */
import { eventOf, serializeJobEvent } from '../schema/messages/job-event.ts';
import type { Job } from '../schema/domain.ts';
import type { Logger } from '../observability/logger.ts';
import { untraced } from '../observability/tracing.ts';
import type { Broker } from './broker.ts';
import type { Topology } from './topology.ts';
import { LISTENING_KEY, type EventDemand } from './event-demand.ts';

export function jobEventKey(collection: string, jobId: string): string {
  return `job.${collection}.${jobId}`;
}

/** The routing keys of cancel signals, on the events exchange. */
export const CANCEL_PATTERN = 'control.cancel.#';

function cancelKey(collection: string, jobId: string): string {
  return `control.cancel.${collection}.${jobId}`;
}

/** Publishes the job's current state as an event. */
export class JobEventPublisher {
  /** Without a demand every event is published (tests that watch the exchange directly). */
  constructor(private readonly broker: Broker, private readonly names: Topology, private readonly logger: Logger, private readonly demand?: EventDemand) {}

  /** True while job events have a listener (always, without a demand to ask). */
  get eventsWanted(): boolean {
    return !this.demand || this.demand.wanted;
  }

  /**
   * Sends the event without waiting for the broker's confirm: events are informational, and
   * publishes on one channel keep their order whether or not anyone waits for the confirm.
   * Waiting cost a confirm round trip on every mutation and twice per stage (issue 6 bench).
   */
  async publish(job: Job, message: string | null = null): Promise<void> {
    // Events nobody listens to are not sent (messaging/event-demand.ts); a jobProgress subscriber
    // learns the end of its job from the store if its event was not sent (gateway/events/job-event-hub.ts).
    if (!this.eventsWanted) return;
    // Untraced: a job trace shows its work, not the dozen progress events around it.
    untraced(() => this.broker.publish(this.names.eventsExchange, jobEventKey(job.collection, job.id), serializeJobEvent(eventOf(job, message)), {
      // Not mandatory: an event nobody listens to is unroutable by design, not a failure.
      persistent: false, mandatory: false, contentType: 'application/json', type: 'job.event',
    })).catch((error: unknown) => {
      this.logger.warn('job event not published', { jobId: job.id, error: String(error) });
    });
  }

  /** Tells every process that someone listens to job events (a gateway with subscribers). */
  async announceListening(): Promise<void> {
    try {
      await untraced(() => this.broker.publish(this.names.eventsExchange, LISTENING_KEY, Buffer.alloc(0), { persistent: false, mandatory: false }));
    } catch (error) {
      this.logger.warn('listening announcement not published', { error: String(error) });
    }
  }

  /** Tells every actor to abort work on the job (best effort: actors also check the store). */
  async cancel(job: Job): Promise<void> {
    try {
      await untraced(() => this.broker.publish(this.names.eventsExchange, cancelKey(job.collection, job.id), Buffer.from(job.id), { persistent: false, mandatory: false }));
    } catch (error) {
      this.logger.warn('cancel signal not published', { jobId: job.id, error: String(error) });
    }
  }
}
