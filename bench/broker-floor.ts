/**
 * The broker's own floor under a mutation: publisher-confirm latency of 2 KB persistent
 * messages to a durable priority queue at the offered rate, with nothing else in the way.
 * A mutation waits for one such confirm (accepted means held by the broker), so its latency
 * cannot go below this.
 */
import type { ChannelModel } from 'amqplib';
import { summarize, type LatencySummary } from './stats.ts';

export async function confirmLatency(connection: ChannelModel, queue: string, ratePerSecond: number, count = 1000): Promise<LatencySummary> {
  const channel = await connection.createConfirmChannel();
  try {
    await channel.assertQueue(queue, { durable: true, arguments: { 'x-max-priority': 10 } });
    const body = Buffer.alloc(2048, 'x');
    const samples: number[] = [];
    const started = Date.now();
    await Promise.all(Array.from({ length: count }, async (_, i) => {
      const due = started + (i * 1000) / ratePerSecond - Date.now();
      if (due > 0) await new Promise((resolve) => setTimeout(resolve, due));
      const t0 = performance.now();
      await new Promise<void>((resolve, reject) => channel.publish('', queue, body, { persistent: true, priority: 5 }, (error) => {
        if (error) reject(error); else { samples.push(performance.now() - t0); resolve(); }
      }));
    }));
    return summarize(samples);
  } finally {
    await channel.deleteQueue(queue).catch(() => {});
    await channel.close().catch(() => {});
  }
}
