/**
 * A stage's backlog across its queues (one classic queue, or one quorum queue per priority band),
 * read with passive declares: no broker plugin needed.
 */
import type { Channel } from 'amqplib';

/** Ready messages summed over the queues; consumers of the first (every band has the same consumers). */
export interface StageDepth {
  readonly ready: number;
  readonly consumers: number;
}

export async function checkStageQueues(channel: Channel, queues: readonly string[]): Promise<StageDepth> {
  let ready = 0;
  let consumers = 0;
  for (const [index, queue] of queues.entries()) {
    const { messageCount, consumerCount } = await channel.checkQueue(queue);
    ready += messageCount;
    if (index === 0) consumers = consumerCount;
  }
  return { ready, consumers };
}
