/**
 * One RabbitMQ connection per process, kept alive: reconnects with exponential back-off,
 * re-declares the topology and re-opens every consumer after each reconnect, and publishes
 * only with publisher confirms (a publish resolves after the broker has taken the message).
 */
import amqp from 'amqplib';
import type { Channel, ChannelModel, ConfirmChannel, ConsumeMessage, Options } from 'amqplib';
import { tracedPublish } from '../observability/amqp-tracing.ts';
import type { Logger } from '../observability/logger.ts';

/** Options of the broker connection. */
export interface BrokerOptions {
  /** AMQP URL; default amqp://guest:guest@127.0.0.1:5672. */
  readonly url: string;
  /** Connection name shown in the RabbitMQ management UI. */
  readonly name: string;
  /** First reconnect delay; doubles up to reconnectMaxMs. Default 250 ms. */
  readonly reconnectInitialMs?: number;
  /** Longest reconnect delay. Default 5000 ms. */
  readonly reconnectMaxMs?: number;
  /** How long a publish waits for a connection and a confirm before failing UNAVAILABLE. Default 5000 ms. */
  readonly publishTimeoutMs?: number;
  readonly logger: Logger;
}

/** The broker cannot be reached (or did not confirm in time): the caller may retry later. */
export class BrokerUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BrokerUnavailableError';
  }
}

/** RabbitMQ blocks publishers (memory or disk alarm): back off and retry after the hint. */
export class BrokerBlockedError extends Error {
  constructor(readonly reason: string, readonly retryAfterSeconds: number) {
    super(`RabbitMQ is blocking publishers (${reason}); retry after ${retryAfterSeconds} s`);
    this.name = 'BrokerBlockedError';
  }
}

/**
 * The broker refused a publish with a negative confirm (basic.nack): with `x-overflow:
 * reject-publish` that means the target queue is at its `x-max-length`. Back off and retry.
 */
export class BrokerRejectedError extends Error {
  constructor(readonly exchange: string, readonly routingKey: string, readonly retryAfterSeconds: number) {
    super(`RabbitMQ rejected the publish to ${exchange}/${routingKey}: the queue is full (x-max-length, MAX_STAGE_QUEUE_LENGTH); retry after ${retryAfterSeconds} s`);
    this.name = 'BrokerRejectedError';
  }
}

/** Declares exchanges and queues; runs on every (re)connect. */
export type TopologySetup = (channel: Channel) => Promise<void>;

/** Receives a delivery on its consumer channel; the runtime acks or nacks on that channel. */
export type DeliveryHandler = (message: ConsumeMessage, channel: Channel) => void;

interface ConsumerSpec {
  readonly queue: string;
  readonly prefetch: number;
  readonly handler: DeliveryHandler;
  channel: Channel | null;
  consumerTag: string | null;
  cancelled: boolean;
}

/** The retry-after hint of a rejected publish: a full stage queue drains in seconds at full speed. */
const REJECTED_RETRY_AFTER_SECONDS = 2;

export class Broker {
  private model: ChannelModel | null = null;
  private publisher: ConfirmChannel | null = null;
  private connecting: Promise<void> | null = null;
  private closed = false;
  private blockedReason: string | null = null;
  private readonly topologies: TopologySetup[] = [];
  private readonly consumers = new Set<ConsumerSpec>();
  private readonly waiters = new Set<() => void>();
  /** Rejecters of publishes awaiting their confirm: failed at once when the broker blocks publishers. */
  private readonly pending = new Set<(error: Error) => void>();
  private readonly options: Required<Omit<BrokerOptions, 'logger'>> & { logger: Logger };

  constructor(options: BrokerOptions) {
    this.options = { reconnectInitialMs: 250, reconnectMaxMs: 5000, publishTimeoutMs: 5000, ...options };
  }

  /** Starts connecting in the background; resolves once connected the first time or after `waitMs`. */
  async start(waitMs = this.options.publishTimeoutMs): Promise<boolean> {
    this.ensureConnecting();
    return this.waitConnected(waitMs);
  }

  get connected(): boolean {
    return this.publisher !== null;
  }

  get blocked(): string | null {
    return this.blockedReason;
  }

  /** Registers topology to declare now (if connected) and after every reconnect. */
  async declare(setup: TopologySetup): Promise<void> {
    this.topologies.push(setup);
    if (this.model) {
      const channel = await this.model.createChannel();
      try { await setup(channel); } finally { await channel.close().catch(() => {}); }
    }
  }

  /** Runs `work` on a short-lived channel (queue inspection, purges, deletions). */
  async withChannel<T>(work: (channel: Channel) => Promise<T>): Promise<T> {
    const model = await this.requireModel();
    const channel = await model.createChannel();
    // A failed passive check closes the channel with an error event; keep it from crashing the process.
    channel.on('error', () => {});
    try {
      return await work(channel);
    } finally {
      await channel.close().catch(() => {});
    }
  }

  /**
   * Publishes and waits for the broker's confirm. Rejects with BrokerBlockedError while the
   * broker blocks publishers, and with BrokerUnavailableError when no confirm came in time.
   * Traced: a PRODUCER span whose context travels in the message headers (observability/amqp-tracing.ts).
   */
  publish(exchange: string, routingKey: string, content: Buffer, options: Options.Publish = {}): Promise<void> {
    return tracedPublish(exchange, routingKey, content, options, (traced) => this.send(exchange, routingKey, content, traced));
  }

  private async send(exchange: string, routingKey: string, content: Buffer, options: Options.Publish): Promise<void> {
    if (this.blockedReason) throw new BrokerBlockedError(this.blockedReason, 5);
    const deadline = Date.now() + this.options.publishTimeoutMs;
    await this.waitConnected(this.options.publishTimeoutMs);
    const channel = this.publisher;
    if (!channel) {
      throw new BrokerUnavailableError(
        `RabbitMQ at ${redact(this.options.url)} is unreachable (no connection within ${this.options.publishTimeoutMs} ms)`,
      );
    }
    await new Promise<void>((resolve, reject) => {
      const fail = (error: Error) => { clearTimeout(timer); this.pending.delete(fail); reject(error); };
      const timer = setTimeout(
        () => fail(new BrokerUnavailableError(`RabbitMQ did not confirm the publish within ${this.options.publishTimeoutMs} ms`)),
        Math.max(1, deadline - Date.now()),
      );
      this.pending.add(fail);
      try {
        channel.publish(exchange, routingKey, content, { persistent: true, ...options }, (error) => {
          // amqplib reports a basic.nack as an Error('message nacked') in the confirm callback;
          // a nack means the broker is alive but refused the message (a full bounded queue).
          if (error) fail(new BrokerRejectedError(exchange, routingKey, REJECTED_RETRY_AFTER_SECONDS));
          else { clearTimeout(timer); this.pending.delete(fail); resolve(); }
        });
      } catch (error) {
        fail(new BrokerUnavailableError(`publish failed: ${String(error)}`));
      }
    });
  }

  /** Consumes `queue` with `prefetch` unacked deliveries at most; re-opened after every reconnect. */
  consume(queue: string, prefetch: number, handler: DeliveryHandler): { cancel(): Promise<void> } {
    const spec: ConsumerSpec = { queue, prefetch, handler, channel: null, consumerTag: null, cancelled: false };
    this.consumers.add(spec);
    if (this.model) void this.openConsumer(this.model, spec).catch((error) => this.logFailure('consume', error));
    return {
      cancel: async () => {
        spec.cancelled = true;
        this.consumers.delete(spec);
        if (spec.channel && spec.consumerTag) await spec.channel.cancel(spec.consumerTag).catch(() => {});
      },
    };
  }

  /** Closes the consumer channels of every consumer: their unacked deliveries return to their queues. */
  async close(): Promise<void> {
    this.closed = true;
    for (const waiter of this.waiters) waiter();
    const model = this.model;
    this.model = null;
    this.publisher = null;
    if (model) await model.close().catch(() => {});
  }

  private ensureConnecting(): void {
    if (this.connecting || this.closed) return;
    this.connecting = this.connectLoop().finally(() => { this.connecting = null; });
  }

  private async connectLoop(): Promise<void> {
    let delay = this.options.reconnectInitialMs;
    while (!this.closed) {
      try {
        await this.connectOnce();
        return;
      } catch (error) {
        this.options.logger.warn('broker connect failed; retrying', {
          url: redact(this.options.url), delayMs: delay, error: String(error),
          hint: 'start RabbitMQ (rabbitmq-server -detached) or set AMQP_URL',
        });
        await sleep(delay);
        delay = Math.min(delay * 2, this.options.reconnectMaxMs);
      }
    }
  }

  private async connectOnce(): Promise<void> {
    const model = await amqp.connect(this.options.url, { clientProperties: { connection_name: this.options.name } });
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
      for (const setup of this.topologies) {
        const channel = await model.createChannel();
        await setup(channel);
        await channel.close();
      }
      const publisher = await model.createConfirmChannel();
      publisher.on('error', (error) => this.options.logger.warn('publisher channel error', { error: String(error) }));
      for (const spec of this.consumers) await this.openConsumer(model, spec);
      model.on('close', () => this.onConnectionLost(model));
      if (this.closed) { await model.close().catch(() => {}); return; }
      this.model = model;
      this.publisher = publisher;
      this.blockedReason = null;
      this.options.logger.info('broker connected', { url: redact(this.options.url) });
      for (const waiter of this.waiters) waiter();
    } catch (error) {
      await model.close().catch(() => {});
      throw error;
    }
  }

  private onConnectionLost(model: ChannelModel): void {
    if (this.model !== model) return;
    this.model = null;
    this.publisher = null;
    for (const spec of this.consumers) { spec.channel = null; spec.consumerTag = null; }
    if (this.closed) return;
    this.options.logger.warn('broker connection lost; reconnecting');
    this.ensureConnecting();
  }

  private async openConsumer(model: ChannelModel, spec: ConsumerSpec): Promise<void> {
    if (spec.cancelled) return;
    const channel = await model.createChannel();
    channel.on('error', (error) => this.options.logger.warn('consumer channel error', { queue: spec.queue, error: String(error) }));
    await channel.prefetch(spec.prefetch);
    const { consumerTag } = await channel.consume(spec.queue, (message) => {
      if (message) spec.handler(message, channel);
    });
    spec.channel = channel;
    spec.consumerTag = consumerTag;
  }

  private async requireModel(): Promise<ChannelModel> {
    await this.waitConnected(this.options.publishTimeoutMs);
    if (!this.model) throw new BrokerUnavailableError(`RabbitMQ at ${redact(this.options.url)} is unreachable`);
    return this.model;
  }

  private async waitConnected(timeoutMs: number): Promise<boolean> {
    if (this.publisher) return true;
    if (this.closed) return false;
    this.ensureConnecting();
    await new Promise<void>((resolve) => {
      const done = () => { clearTimeout(timer); this.waiters.delete(done); resolve(); };
      const timer = setTimeout(done, timeoutMs);
      this.waiters.add(done);
    });
    return this.publisher !== null;
  }

  private logFailure(what: string, error: unknown): void {
    this.options.logger.warn(`broker ${what} failed`, { error: String(error) });
  }
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):([^@/]+)@/, '//$1:***@');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
