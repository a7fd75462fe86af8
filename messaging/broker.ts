/**
 * One RabbitMQ connection per process, kept alive, with every channel recovered:
 *
 * - a lost connection reconnects with exponential back-off, re-declares the topology and re-opens
 *   the publisher channel and every consumer; with several node URLs (a cluster), each attempt
 *   goes to the next node, starting with the one after the node that was lost, and the back-off
 *   grows only once every node has been tried;
 * - a channel the server closes (a 404 on a deleted queue or exchange, a 406) is re-opened the same
 *   way, with back-off, after the topology is declared again;
 * - a consumer the server cancels (its queue was deleted) is re-declared and consumed again;
 * - a publish resolves only on the broker's confirm, is `mandatory` unless the caller says
 *   otherwise, and fails with a class that says why (messaging/broker-errors.ts); a returned
 *   (unroutable) publish makes the broker re-declare its topology before the next publish goes out.
 */
import amqp from 'amqplib';
import type { Channel, ChannelModel, ConsumeMessage, Options } from 'amqplib';
import { tracedPublish } from '../observability/amqp-tracing.ts';
import type { Logger } from '../observability/logger.ts';
import { BrokerBlockedError, BrokerRejectedError, BrokerUnavailableError } from './broker-errors.ts';
import { ChannelAcks } from './channel-acks.ts';
import { PublisherChannel } from './publisher-channel.ts';
import { redact, splitNodeUrls } from './node-urls.ts';
import { untilAborted } from './until-aborted.ts';

/** Options of the broker connection. */
export interface BrokerOptions {
  /** AMQP URL, or several nodes' URLs comma-separated (config: AMQP_URL). */
  readonly url: string;
  /** Connection name shown in the RabbitMQ management UI. */
  readonly name: string;
  /** How long a publish waits for a connection and a confirm before failing UNAVAILABLE (config: PUBLISH_TIMEOUT_MS). */
  readonly publishTimeoutMs: number;
  readonly logger: Logger;
}

/** Declares exchanges and queues; runs on every (re)connect and whenever a channel is re-opened. */
export type TopologySetup = (channel: Channel) => Promise<void>;

/**
 * Receives a delivery on its consumer channel; it is settled through `ChannelAcks.of(channel)`
 * (channel-acks.ts), which coalesces the channel's acks.
 */
export type DeliveryHandler = (message: ConsumeMessage, channel: Channel) => void;

/** What /healthz reports: healthy only while publishes can succeed. */
export interface BrokerHealth {
  readonly healthy: boolean;
  readonly state: 'connected' | 'unreachable' | 'recovering' | 'blocked';
  readonly detail?: string;
}

interface ConsumerSpec {
  readonly queue: string;
  readonly prefetch: number;
  readonly handler: DeliveryHandler;
  channel: Channel | null;
  consumerTag: string | null;
  cancelled: boolean;
  reopening: boolean;
}

/** Back-off of reconnects and channel re-opens: doubles from the first to the last. */
const RECOVERY_FIRST_DELAY_MS = 250;
const RECOVERY_MAX_DELAY_MS = 5000;
/** A negative confirm renews the publisher channel at most this often, so a full queue does not churn channels. */
const PUBLISHER_RENEWAL_MIN_INTERVAL_MS = 1000;

export class Broker {
  private model: ChannelModel | null = null;
  private publisher: PublisherChannel | null = null;
  private publisherReopening = false;
  private lastPublisherRenewal = 0;
  private connecting: Promise<void> | null = null;
  private closed = false;
  private blockedReason: string | null = null;
  /** Set while the topology is declared again after a return; publishes wait for it. */
  private redeclaring: Promise<void> | null = null;
  private lastRecoveryError: string | null = null;
  private readonly topologies: TopologySetup[] = [];
  private readonly consumers = new Set<ConsumerSpec>();
  /** Every open consumer channel, cancelled consumers' included: their acks are sent before a close. */
  private readonly consumerChannels = new Set<Channel>();
  private readonly waiters = new Set<() => void>();
  /** Rejecters of publishes awaiting their confirm: failed at once when the broker blocks publishers. */
  private readonly pending = new Set<(error: Error) => void>();
  /** The cluster's nodes, tried in turn; `node` is the one connected to or tried next. */
  private readonly urls: readonly string[];
  private node = 0;

  constructor(private readonly options: BrokerOptions) {
    this.urls = splitNodeUrls(options.url);
  }

  /** The node connected to (or tried next), password redacted: for logs and health details. */
  get nodeUrl(): string {
    return redact(this.urls[this.node]!);
  }

  /** Starts connecting in the background; resolves once connected the first time or after `waitMs`. */
  async start(waitMs = this.options.publishTimeoutMs): Promise<boolean> {
    this.ensureConnecting();
    return this.waitConnected(waitMs);
  }

  /** True while the connection and the publisher channel are open. */
  get connected(): boolean {
    return this.model !== null && this.publisher !== null;
  }

  get blocked(): string | null {
    return this.blockedReason;
  }

  health(): BrokerHealth {
    if (this.blockedReason) return { healthy: false, state: 'blocked', detail: this.blockedReason };
    if (this.connected) return { healthy: true, state: 'connected' };
    if (this.model) return { healthy: false, state: 'recovering', detail: this.lastRecoveryError ?? 're-opening the publisher channel' };
    return { healthy: false, state: 'unreachable', ...(this.lastRecoveryError ? { detail: this.lastRecoveryError } : {}) };
  }

  /** Registers topology to declare now (if connected) and after every reconnect or channel re-open. */
  async declare(setup: TopologySetup): Promise<void> {
    this.topologies.push(setup);
    if (this.model) await this.runSetups(this.model, [setup]);
  }

  /**
   * Runs `work` on a short-lived channel (queue inspection, purges, deletions). Refused at once
   * while the broker blocks publishers, and bounded by PUBLISH_TIMEOUT_MS to open: a blocked
   * connection is not read from until the alarm clears, so a channel asked for on it never came
   * and its caller (the pending-jobs gauge behind every ingest, queue statistics) waited forever.
   */
  async withChannel<T>(work: (channel: Channel) => Promise<T>): Promise<T> {
    const model = await this.requireModel();
    if (this.blockedReason) throw new BrokerBlockedError(this.blockedReason, 5);
    const opening = model.createChannel();
    const timeout = AbortSignal.timeout(this.options.publishTimeoutMs);
    const channel = await untilAborted(opening, timeout).catch((error: unknown) => {
      if (!timeout.aborted) throw error;
      // Closed if it opens after all, so that no channel is left behind.
      void opening.then((late) => late.close()).catch(() => {});
      throw new BrokerUnavailableError(`RabbitMQ did not open a channel within ${this.options.publishTimeoutMs} ms${this.blockedReason ? ` (it blocks publishers: ${this.blockedReason})` : ''}`);
    });
    // A failed passive check closes the channel with an error event; keep it from crashing the process.
    channel.on('error', () => {});
    try {
      return await work(channel);
    } finally {
      await channel.close().catch(() => {});
    }
  }

  /**
   * Publishes and waits for the broker's confirm. Mandatory unless `options.mandatory` is false.
   * Rejects with BrokerBlockedError while the broker blocks publishers, BrokerRejectedError on a
   * negative confirm (a full queue), BrokerUnroutableError when the message was returned, and
   * BrokerUnavailableError when the channel closed first or no confirm came in time.
   * Traced: a PRODUCER span whose context travels in the message headers (observability/amqp-tracing.ts).
   */
  publish(exchange: string, routingKey: string, content: Buffer, options: Options.Publish = {}): Promise<void> {
    return tracedPublish(exchange, routingKey, content, options, (traced) => this.send(exchange, routingKey, content, traced));
  }

  private async send(exchange: string, routingKey: string, content: Buffer, options: Options.Publish): Promise<void> {
    if (this.blockedReason) throw new BrokerBlockedError(this.blockedReason, 5);
    const deadline = Date.now() + this.options.publishTimeoutMs;
    await this.waitConnected(this.options.publishTimeoutMs);
    // After a return, the topology is declared again before anything else goes out; bounded by
    // the same deadline, as a declaration on a dying connection may never answer.
    if (this.redeclaring) await Promise.race([this.redeclaring, sleep(Math.max(0, deadline - Date.now()))]);
    const publisher = this.publisher;
    if (!publisher) {
      throw new BrokerUnavailableError(
        `RabbitMQ at ${this.allNodes()} is unreachable (no connection within ${this.options.publishTimeoutMs} ms)`,
      );
    }
    await new Promise<void>((resolve, reject) => {
      const fail = (error: Error) => { clearTimeout(timer); this.pending.delete(fail); reject(error); };
      const timer = setTimeout(
        () => fail(new BrokerUnavailableError(`RabbitMQ did not confirm the publish within ${this.options.publishTimeoutMs} ms`)),
        Math.max(1, deadline - Date.now()),
      );
      this.pending.add(fail);
      publisher.publish(exchange, routingKey, content, options).then(
        () => { clearTimeout(timer); this.pending.delete(fail); resolve(); },
        (error: Error) => {
          if (error instanceof BrokerRejectedError) this.renewPublisher(publisher);
          fail(error);
        },
      );
    });
  }

  /** Consumes `queue` with `prefetch` unacked deliveries at most; re-opened after every reconnect, channel close or server cancel. */
  consume(queue: string, prefetch: number, handler: DeliveryHandler): { cancel(): Promise<void> } {
    const spec: ConsumerSpec = { queue, prefetch, handler, channel: null, consumerTag: null, cancelled: false, reopening: false };
    this.consumers.add(spec);
    if (this.model) {
      const model = this.model;
      void this.openConsumer(model, spec).catch((error) => {
        this.logFailure('consume', error);
        void this.reopenConsumer(model, spec);
      });
    }
    return {
      cancel: async () => {
        spec.cancelled = true;
        this.consumers.delete(spec);
        if (spec.channel && spec.consumerTag) await spec.channel.cancel(spec.consumerTag).catch(() => {});
      },
    };
  }

  /** Closes the connection: unacked deliveries return to their queues. */
  async close(): Promise<void> {
    this.closed = true;
    for (const waiter of this.waiters) waiter();
    const model = this.model;
    this.model = null;
    this.publisher = null;
    // Acks settled in this turn of the event loop are still waiting (channel-acks.ts). Sent now,
    // amqplib writes them to the socket at a later pass, which a connection close could overtake:
    // the broker would requeue those messages. A channel's close follows its own frames, so the
    // channels holding acks close first (bounded: the broker may not answer).
    const closing = [...this.consumerChannels].filter((channel) => ChannelAcks.of(channel).flush() > 0)
      .map((channel) => channel.close().catch(() => {}));
    if (closing.length > 0) await Promise.race([Promise.all(closing), sleep(this.options.publishTimeoutMs)]);
    if (model) await model.close().catch(() => {});
  }

  private ensureConnecting(): void {
    if (this.connecting || this.closed) return;
    this.connecting = this.connectLoop().finally(() => { this.connecting = null; });
  }

  private async connectLoop(): Promise<void> {
    let delay = RECOVERY_FIRST_DELAY_MS;
    let failuresThisRound = 0;
    while (!this.closed) {
      try {
        await this.connectOnce(this.urls[this.node]!);
        return;
      } catch (error) {
        this.lastRecoveryError = `${this.nodeUrl}: ${String(error)}`;
        const url = this.nodeUrl;
        this.node = (this.node + 1) % this.urls.length;
        // Another node may be up: try it at once; wait only after every node failed once.
        if (++failuresThisRound < this.urls.length) continue;
        failuresThisRound = 0;
        this.options.logger.warn('broker connect failed; retrying', {
          url, nodes: this.urls.length, delayMs: delay, error: String(error),
          hint: 'start RabbitMQ (rabbitmq-server -detached) or set AMQP_URL',
        });
        await sleep(delay);
        delay = Math.min(delay * 2, RECOVERY_MAX_DELAY_MS);
      }
    }
  }

  private async connectOnce(url: string): Promise<void> {
    // A connect that hangs (a peer that never answers the handshake) must not stall the reconnect loop.
    const model = await amqp.connect(url, { clientProperties: { connection_name: this.options.name }, timeout: this.options.publishTimeoutMs });
    try {
      model.on('error', (error) => this.options.logger.warn('broker connection error', { error: String(error) }));
      model.on('blocked', (reason: string) => {
        this.blockedReason = reason || 'resource alarm';
        this.options.logger.warn('broker blocked publishers', { reason });
        // RabbitMQ blocks a connection on its first publish after an alarm; that publish would
        // otherwise wait for its timeout. Fail it now with the retry hint: the caller treats it as
        // not done (if the broker takes it after all, every consumer is idempotent).
        for (const fail of [...this.pending]) fail(new BrokerBlockedError(this.blockedReason, 5));
      });
      model.on('unblocked', () => {
        this.blockedReason = null;
        this.options.logger.info('broker unblocked publishers');
      });
      await this.runSetups(model, this.topologies);
      const publisher = await this.openPublisher(model);
      for (const spec of this.consumers) await this.openConsumer(model, spec);
      model.on('close', () => this.onConnectionLost(model));
      if (this.closed) { await model.close().catch(() => {}); return; }
      this.model = model;
      this.publisher = publisher;
      this.blockedReason = null;
      this.lastRecoveryError = null;
      this.options.logger.info('broker connected', { url: this.nodeUrl });
      this.wakeWaiters();
    } catch (error) {
      await model.close().catch(() => {});
      throw error;
    }
  }

  private onConnectionLost(model: ChannelModel): void {
    if (this.model !== model) return;
    this.model = null;
    this.publisher = null;
    this.redeclaring = null; // it ran on the lost connection; the reconnect declares everything anyway
    for (const spec of this.consumers) { spec.channel = null; spec.consumerTag = null; }
    if (this.closed) return;
    this.options.logger.warn('broker connection lost; reconnecting', { url: this.nodeUrl });
    // The lost node is likely down: start with the next one (a single node is tried again).
    this.node = (this.node + 1) % this.urls.length;
    this.ensureConnecting();
  }

  /** Each setup on a channel of its own, so a failing declaration cannot take another channel with it. */
  private async runSetups(model: ChannelModel, setups: readonly TopologySetup[]): Promise<void> {
    for (const setup of setups) {
      const channel = await model.createChannel();
      channel.on('error', () => {}); // a failed declaration closes the channel; the awaited call rejects with the reason
      try { await setup(channel); } finally { await channel.close().catch(() => {}); }
    }
  }

  private async openPublisher(model: ChannelModel): Promise<PublisherChannel> {
    const channel = await model.createConfirmChannel();
    channel.on('error', (error) => this.options.logger.warn('publisher channel error', { error: String(error) }));
    const publisher = new PublisherChannel(channel, (exchange, routingKey) => {
      this.options.logger.warn('publish returned as unroutable; declaring the topology again', { exchange, routingKey });
      this.redeclare(model);
    });
    channel.on('close', () => {
      if (this.publisher !== publisher || this.model !== model || this.closed) return;
      // Closed by the server while the connection lives (e.g. a publish to a deleted exchange).
      this.publisher = null;
      this.options.logger.warn('publisher channel closed; re-opening');
      void this.reopenPublisher(model);
    });
    return publisher;
  }

  /**
   * Replaces a publisher channel that got a negative confirm. On RabbitMQ 3.10 a channel that
   * published to a quorum queue while its leader was being elected keeps getting negative
   * confirms for that queue after the new leader is up, while a channel opened afterwards is
   * confirmed at once (measured on the three-node test cluster: nacks for minutes, until the old
   * leader returned). The stale channel closes once every confirm it still owes is past due.
   */
  private renewPublisher(stale: PublisherChannel): void {
    const model = this.model;
    if (!model || this.publisher !== stale || this.publisherReopening || this.closed) return;
    if (Date.now() - this.lastPublisherRenewal < PUBLISHER_RENEWAL_MIN_INTERVAL_MS) return;
    this.lastPublisherRenewal = Date.now();
    this.publisherReopening = true;
    this.openPublisher(model).then((fresh) => {
      if (this.model !== model || this.publisher !== stale || this.closed) { void fresh.channel.close().catch(() => {}); return; }
      this.publisher = fresh;
      setTimeout(() => void stale.channel.close().catch(() => {}), this.options.publishTimeoutMs).unref();
    }, (error: unknown) => {
      this.options.logger.warn('publisher channel not renewed after a negative confirm', { error: String(error) });
    }).finally(() => { this.publisherReopening = false; });
  }

  private async reopenPublisher(model: ChannelModel): Promise<void> {
    if (this.publisherReopening) return;
    this.publisherReopening = true;
    try {
      await this.recover(model, 'publisher channel', async () => {
        await this.runSetups(model, this.topologies);
        const publisher = await this.openPublisher(model);
        if (this.model !== model) { await publisher.channel.close().catch(() => {}); return; }
        this.publisher = publisher;
        this.wakeWaiters();
      }, () => false);
    } finally {
      this.publisherReopening = false;
    }
  }

  /** Declares the topology again (after a return); publishes wait for it, concurrent returns share it. */
  private redeclare(model: ChannelModel): void {
    if (this.redeclaring) return;
    const running: Promise<void> = this.runSetups(model, this.topologies)
      .catch((error) => {
        this.lastRecoveryError = `declaring the topology failed: ${String(error)}`;
        this.logFailure('re-declare', error);
      })
      .finally(() => { if (this.redeclaring === running) this.redeclaring = null; });
    this.redeclaring = running;
  }

  private async openConsumer(model: ChannelModel, spec: ConsumerSpec): Promise<void> {
    if (spec.cancelled) return;
    const channel = await model.createChannel();
    channel.on('error', (error) => this.options.logger.warn('consumer channel error', { queue: spec.queue, error: String(error) }));
    this.consumerChannels.add(channel);
    channel.on('close', () => {
      this.consumerChannels.delete(channel);
      if (spec.channel !== channel) return;
      spec.channel = null;
      spec.consumerTag = null;
      if (this.model === model && !this.closed && !spec.cancelled) {
        this.options.logger.warn('consumer channel closed; re-opening', { queue: spec.queue });
        void this.reopenConsumer(model, spec);
      }
    });
    await channel.prefetch(spec.prefetch);
    const acks = ChannelAcks.of(channel);
    const { consumerTag } = await channel.consume(spec.queue, (message) => {
      if (message) {
        acks.delivered(message);
        return spec.handler(message, channel);
      }
      // The server cancelled the consumer (its queue was deleted): close this channel, whose close
      // re-declares the queue and consumes again. Unacked deliveries on it are redelivered.
      this.options.logger.warn('consumer cancelled by the broker; re-declaring its queue', { queue: spec.queue });
      void channel.close().catch(() => {});
    });
    spec.channel = channel;
    spec.consumerTag = consumerTag;
  }

  private async reopenConsumer(model: ChannelModel, spec: ConsumerSpec): Promise<void> {
    if (spec.reopening) return;
    spec.reopening = true;
    try {
      await this.recover(model, `consumer of ${spec.queue}`, async () => {
        await this.runSetups(model, this.topologies);
        await this.openConsumer(model, spec);
      }, () => spec.cancelled);
    } finally {
      spec.reopening = false;
    }
  }

  /** Retries `attempt` with back-off while the connection it belongs to is the current one. */
  private async recover(model: ChannelModel, what: string, attempt: () => Promise<void>, abandoned: () => boolean): Promise<void> {
    let delay = RECOVERY_FIRST_DELAY_MS;
    while (this.model === model && !this.closed && !abandoned()) {
      await sleep(delay);
      if (this.model !== model || this.closed || abandoned()) return;
      try {
        await attempt();
        this.lastRecoveryError = null;
        this.options.logger.info(`${what} re-opened`);
        return;
      } catch (error) {
        this.lastRecoveryError = `re-opening the ${what} failed: ${String(error)}`;
        this.logFailure(`re-open of the ${what}`, error);
        delay = Math.min(delay * 2, RECOVERY_MAX_DELAY_MS);
      }
    }
  }

  private wakeWaiters(): void {
    for (const waiter of this.waiters) waiter();
  }

  private async requireModel(): Promise<ChannelModel> {
    await this.waitConnected(this.options.publishTimeoutMs);
    if (!this.model) throw new BrokerUnavailableError(`RabbitMQ at ${this.allNodes()} is unreachable`);
    return this.model;
  }

  private async waitConnected(timeoutMs: number): Promise<boolean> {
    if (this.connected) return true;
    if (this.closed) return false;
    this.ensureConnecting();
    await new Promise<void>((resolve) => {
      const done = () => { clearTimeout(timer); this.waiters.delete(done); resolve(); };
      const timer = setTimeout(done, timeoutMs);
      this.waiters.add(done);
    });
    return this.connected;
  }

  private allNodes(): string {
    return this.urls.map(redact).join(', ');
  }

  private logFailure(what: string, error: unknown): void {
    this.options.logger.warn(`broker ${what} failed`, { error: String(error) });
  }
}


function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
