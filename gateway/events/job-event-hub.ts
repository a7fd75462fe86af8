/**
 * Each gateway replica binds its own queue to the events exchange and fans events out to its
 * subscribers, so subscriptions work with any number of replicas. The binding exists only while
 * this replica has subscribers, and meanwhile the replica announces them (at once, then every
 * ANNOUNCE_INTERVAL_MS): processes send job events only while some replica does
 * (messaging/event-demand.ts), so under heavy ingestion with nobody watching the events are not
 * even published. The queue always hears the announcements, this replica's own included.
 *
 * Events are best effort (a publish can fail, a process may not have heard an announcement yet),
 * so `jobProgress` does not count on them for the end of a job: while its stream is open it also
 * reads the job from the store every STORE_CHECK_MS, and the end reaches the subscriber either way.
 */
import { isTerminal } from '../../schema/domain.ts';
import { eventOf, parseJobEvent, type JobEvent } from '../../schema/messages/job-event.ts';
import type { Logger } from '../../observability/logger.ts';
import type { Broker } from '../../messaging/broker.ts';
import { listenToEvents, type EventListener } from '../../messaging/event-listener.ts';
import { ANNOUNCE_INTERVAL_MS, LISTENING_KEY, type EventDemand } from '../../messaging/event-demand.ts';
import type { JobEventPublisher } from '../../messaging/job-events.ts';
import type { Topology } from '../../messaging/topology.ts';
import type { Store } from '../../stores/store.ts';
import { ErrorCode, apiError } from '../errors.ts';
import { EventStream } from './event-stream.ts';

type Listener = (event: JobEvent) => void;

/** How often an open `jobProgress` stream reads its job from the store, for a change no event carried. */
const STORE_CHECK_MS = ANNOUNCE_INTERVAL_MS;

export class JobEventHub {
  private readonly listeners = new Set<Listener>();
  private listener: EventListener | null = null;
  /** Binding changes, one at a time and in order. */
  private binding: Promise<void> = Promise.resolve();
  private bound = false;
  private announcing: NodeJS.Timeout | null = null;

  constructor(
    private readonly broker: Broker, private readonly names: Topology, private readonly store: Store, private readonly logger: Logger,
    private readonly demand: EventDemand, private readonly events: JobEventPublisher,
  ) {}

  async start(): Promise<void> {
    this.listener = await listenToEvents(this.broker, this.names, 'gateway', [LISTENING_KEY], (message) => {
      if (message.fields.routingKey === LISTENING_KEY) return this.demand.heard();
      // Events still in flight after the last subscriber left: nothing to parse them for.
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
    await this.announce(false);
    await this.listener?.stop();
  }

  /** Announces this replica's subscribers now (resolves once sent) and every ANNOUNCE_INTERVAL_MS, or stops announcing. */
  private async announce(on: boolean): Promise<void> {
    if (this.announcing) clearInterval(this.announcing);
    this.announcing = null;
    if (!on) return;
    this.announcing = setInterval(() => void this.events.announceListening(), ANNOUNCE_INTERVAL_MS);
    this.announcing.unref();
    await this.events.announceListening();
  }

  /** Every event, optionally of one collection (or of a set of collections the caller may see). */
  async allEvents(filter: (event: JobEvent) => boolean): Promise<AsyncIterableIterator<JobEvent>> {
    const stream = new EventStream<JobEvent>(() => this.remove(listener));
    const listener: Listener = (event) => { if (filter(event)) stream.push(event); };
    await this.add(listener);
    return stream;
  }

  /** Adds a listener; the first one binds the queue (and waits for it, so no event is missed). */
  private async add(listener: Listener): Promise<void> {
    this.listeners.add(listener);
    await this.syncBinding();
  }

  private remove(listener: Listener): void {
    this.listeners.delete(listener);
    void this.syncBinding();
  }

  private syncBinding(): Promise<void> {
    this.binding = this.binding.then(async () => {
      const wanted = this.listeners.size > 0;
      if (wanted === this.bound || !this.listener) return;
      if (wanted) await this.listener.bind('job.#');
      else await this.listener.unbind('job.#');
      this.bound = wanted;
      await this.announce(wanted);
    }).catch((error) => {
      // Not bound now (broker down): the next subscriber tries again; a reconnect re-declares what is bound.
      this.logger.warn('job event binding not changed', { error: String(error) });
    });
    return this.binding;
  }

  /**
   * The job's current state first (a late subscriber misses nothing), then each newer change;
   * ends after the terminal state. Events are ordered by the job's `seq`, so an event older
   * than what was already sent is dropped; so is a store reading that shows nothing newer.
   */
  async jobProgress(jobId: string, authorize: (collection: string) => void = () => {}): Promise<AsyncIterableIterator<JobEvent>> {
    let lastSeq = 0;
    let ended = false;
    let storeCheck: NodeJS.Timeout | undefined;
    const stream = new EventStream<JobEvent>(() => {
      clearInterval(storeCheck);
      this.remove(listener);
    });
    const send = (event: JobEvent) => {
      if (event.job.seq <= lastSeq) return;
      lastSeq = event.job.seq;
      stream.push(event);
      if (isTerminal(event.job.status)) {
        ended = true;
        stream.end();
      }
    };
    const early: JobEvent[] = [];
    let ready = false;
    const listener: Listener = (event) => {
      if (event.job.id !== jobId) return;
      if (ready) send(event);
      else early.push(event);
    };
    // Listen (and bind) before reading the store, so no change between the read and the first event is missed.
    await this.add(listener);
    const job = await this.store.getJob(jobId);
    if (!job) {
      this.remove(listener);
      throw apiError(ErrorCode.NOT_FOUND, `job ${jobId} does not exist`);
    }
    try {
      authorize(job.collection);
    } catch (error) {
      this.remove(listener);
      throw error;
    }
    send(eventOf(job, 'current state'));
    ready = true;
    for (const event of early) send(event);
    // Not for a stream already ended, by the job read or by an event that came while it was read:
    // its cleanup has run, and nothing would stop these reads.
    if (!ended) {
      storeCheck = setInterval(() => {
        this.store.getJob(jobId).then((current) => { if (current) send(eventOf(current)); }).catch((error: unknown) => {
          this.logger.warn('job not read for its subscriber; trying again', { jobId, error: String(error) });
        });
      }, STORE_CHECK_MS);
      storeCheck.unref();
    }
    return stream;
  }
}
