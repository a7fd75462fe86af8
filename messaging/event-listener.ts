/**
 * A process's own view of the events exchange: an exclusive, auto-deleted queue bound to some
 * routing patterns, re-declared (with the patterns bound at that moment) after every reconnect.
 * Used by actors for cancel signals and by each gateway replica for job events. Patterns can be
 * bound and unbound at run time, so a gateway receives job events only while someone watches.
 */
import { randomUUID } from 'node:crypto';
import type { ConsumeMessage } from 'amqplib';
import type { Broker } from './broker.ts';
import type { Topology } from './topology.ts';
import { ChannelAcks } from './channel-acks.ts';

export interface EventListener {
  /** Starts routing `pattern` to this listener; resolves once the broker has the binding. */
  bind(pattern: string): Promise<void>;
  unbind(pattern: string): Promise<void>;
  stop(): Promise<void>;
}

export async function listenToEvents(
  broker: Broker,
  names: Topology,
  purpose: string,
  patterns: readonly string[],
  onMessage: (message: ConsumeMessage) => void,
): Promise<EventListener> {
  const queue = `${names.namespace}.${purpose}.${randomUUID()}`;
  const bound = new Set(patterns);
  await broker.declare(async (channel) => {
    await channel.assertExchange(names.eventsExchange, 'topic', { durable: true });
    await channel.assertQueue(queue, { exclusive: true, autoDelete: true, durable: false, arguments: { 'x-queue-type': 'classic' } });
    for (const pattern of bound) await channel.bindQueue(queue, names.eventsExchange, pattern);
  });
  const consumer = broker.consume(queue, 200, (message, channel) => {
    try {
      onMessage(message);
    } finally {
      ChannelAcks.of(channel).ack(message);
    }
  });
  return {
    async bind(pattern) {
      bound.add(pattern);
      await broker.withChannel((channel) => channel.bindQueue(queue, names.eventsExchange, pattern));
    },
    async unbind(pattern) {
      bound.delete(pattern);
      await broker.withChannel((channel) => channel.unbindQueue(queue, names.eventsExchange, pattern));
    },
    stop: () => consumer.cancel(),
  };
}
