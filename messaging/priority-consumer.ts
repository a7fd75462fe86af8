/**
 * Consumes a stage's queues in priority order. With classic queues a stage has one queue and the
 * broker orders it by priority; with quorum queues (no priorities on RabbitMQ 3.10) it has one
 * queue per band, each consumed with its own prefetch window, and this gate runs at most
 * `prefetch` deliveries at once, always starting the highest band's next delivery first. An URGENT
 * message therefore never waits behind a LOW backlog in the broker (its band's window is free) nor
 * here (it is started at the next free slot). Deliveries waiting in the gate whose channel closes
 * are dropped: the broker redelivers them.
 */
import type { Channel, ConsumeMessage } from 'amqplib';
import type { Broker } from './broker.ts';
import { ChannelAcks } from './channel-acks.ts';

/** Handles one delivery from `queue`; resolves when the delivery is settled. */
export type PrioritisedHandler = (message: ConsumeMessage, channel: Channel, queue: string) => Promise<void>;

interface Waiting {
  readonly message: ConsumeMessage;
  readonly channel: Channel;
}

/** `queues` highest priority first (Topology.stageQueues). Cancel returns deliveries still waiting to their queues. */
export function consumeInPriorityOrder(
  broker: Broker, queues: readonly string[], prefetch: number, handler: PrioritisedHandler,
): { cancel(): Promise<void> } {
  const waiting: Waiting[][] = queues.map(() => []);
  const watched = new WeakSet<Channel>();
  let running = 0;

  const pump = () => {
    while (running < prefetch) {
      const band = waiting.findIndex((entries) => entries.length > 0);
      if (band < 0) return;
      const { message, channel } = waiting[band]!.shift()!;
      running += 1;
      void handler(message, channel, queues[band]!).finally(() => { running -= 1; pump(); });
    }
  };

  const consumers = queues.map((queue, band) => broker.consume(queue, prefetch, (message, channel) => {
    if (!watched.has(channel)) {
      watched.add(channel);
      channel.once('close', () => {
        for (const entries of waiting) entries.splice(0, entries.length, ...entries.filter((entry) => entry.channel !== channel));
      });
    }
    waiting[band]!.push({ message, channel });
    pump();
  }));

  return {
    cancel: async () => {
      await Promise.all(consumers.map((consumer) => consumer.cancel()));
      for (const entries of waiting) {
        for (const { message, channel } of entries.splice(0)) {
          try { ChannelAcks.of(channel).nack(message, true); } catch { /* channel gone: redelivered anyway */ }
        }
      }
    },
  };
}
