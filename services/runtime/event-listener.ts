/**
 * A process's own view of the events exchange: an exclusive, auto-deleted queue bound to some
 * routing patterns, re-declared after every reconnect. Used by actors for cancel signals and by
 * each gateway replica for job events.
 */
import { randomUUID } from 'node:crypto';
import type { ConsumeMessage } from 'amqplib';
import type { Broker } from './broker.ts';
import type { Topology } from './topology.ts';

export async function listenToEvents(
  broker: Broker,
  names: Topology,
  purpose: string,
  patterns: readonly string[],
  onMessage: (message: ConsumeMessage) => void,
): Promise<{ stop(): Promise<void> }> {
  const queue = `${names.namespace}.${purpose}.${randomUUID()}`;
  await broker.declare(async (channel) => {
    await channel.assertExchange(names.eventsExchange, 'topic', { durable: true });
    await channel.assertQueue(queue, { exclusive: true, autoDelete: true, durable: false, arguments: { 'x-queue-type': 'classic' } });
    for (const pattern of patterns) await channel.bindQueue(queue, names.eventsExchange, pattern);
  });
  const consumer = broker.consume(queue, 200, (message, channel) => {
    try {
      onMessage(message);
    } finally {
      channel.ack(message);
    }
  });
  return { stop: () => consumer.cancel() };
}
