/**
 * Each gateway replica binds its own queue to the events exchange and fans events out to its
 * subscribers, so subscriptions work with any number of replicas.
 */
import { isTerminal } from '../../schema/domain.ts';
import { eventOf, parseJobEvent, type JobEvent } from '../../schema/messages/job-event.ts';
import type { Logger } from '../../observability/logger.ts';
import type { Broker } from '../../services/runtime/broker.ts';
import { listenToEvents } from '../../services/runtime/event-listener.ts';
import type { Topology } from '../../services/runtime/topology.ts';
import type { Store } from '../../services/stores/store.ts';
import { ErrorCode, apiError } from '../errors.ts';
import { EventStream } from './event-stream.ts';

type Listener = (event: JobEvent) => void;

export class JobEventHub {
  private readonly listeners = new Set<Listener>();
  private listener: { stop(): Promise<void> } | null = null;

  constructor(private readonly broker: Broker, private readonly names: Topology, private readonly store: Store, private readonly logger: Logger) {}

  async start(): Promise<void> {
    this.listener = await listenToEvents(this.broker, this.names, 'gateway', ['job.#'], (message) => {
      // Nobody subscribed: skip parsing (a dozen events per document add up under load).
      if (this.listeners.size === 0) return;
      let event: JobEvent;
      try {
        event = parseJobEvent(JSON.parse(message.content.toString('utf8')));
      } catch (error) {
        this.logger.warn('ignoring malformed job event', { error: String(error) });
        return;
      }
      for (const listener of this.listeners) listener(event);
    });
  }

  async stop(): Promise<void> {
    await this.listener?.stop();
  }

  /** Every event, optionally of one collection (or of a set of collections the caller may see). */
  allEvents(filter: (event: JobEvent) => boolean): AsyncIterableIterator<JobEvent> {
    const stream = new EventStream<JobEvent>(() => this.listeners.delete(listener));
    const listener: Listener = (event) => { if (filter(event)) stream.push(event); };
    this.listeners.add(listener);
    return stream;
  }

  /**
   * The job's current state first (a late subscriber misses nothing), then each newer change;
   * ends after the terminal state. Events are ordered by the job's `seq`, so an event older
   * than what was already sent is dropped.
   */
  async jobProgress(jobId: string, authorize: (collection: string) => void = () => {}): Promise<AsyncIterableIterator<JobEvent>> {
    let lastSeq = 0;
    const stream = new EventStream<JobEvent>(() => this.listeners.delete(listener));
    const send = (event: JobEvent) => {
      if (event.job.seq <= lastSeq) return;
      lastSeq = event.job.seq;
      stream.push(event);
      if (isTerminal(event.job.status)) stream.end();
    };
    const early: JobEvent[] = [];
    let ready = false;
    const listener: Listener = (event) => {
      if (event.job.id !== jobId) return;
      if (ready) send(event);
      else early.push(event);
    };
    // Listen before reading the store, so no change between the read and the first event is missed.
    this.listeners.add(listener);
    const job = await this.store.getJob(jobId);
    if (!job) {
      this.listeners.delete(listener);
      throw apiError(ErrorCode.NOT_FOUND, `job ${jobId} does not exist`);
    }
    try {
      authorize(job.collection);
    } catch (error) {
      this.listeners.delete(listener);
      throw error;
    }
    send(eventOf(job, 'current state'));
    ready = true;
    for (const event of early) send(event);
    return stream;
  }
}
