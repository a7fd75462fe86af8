/**
 * The RabbitMQ topology, named under one namespace so that tests (and several deployments on one
 * broker) never share queues.
 *
 *   <ns>.work      direct   classic: routing key = stage (fetch, parse, …) → <ns>.stage.<stage>, one
 *                           queue with x-max-priority; quorum: routing key = <stage>.<band>
 *                           (fetch.urgent, …) → <ns>.stage.<stage>.<band>, one quorum queue per
 *                           priority band, since quorum queues on RabbitMQ 3.10 have no priorities
 *                           (messaging/priority-consumer.ts makes consumers prefer the higher band;
 *                           the bare stage key routes to the NORMAL band)
 *   <ns>.dead      direct   routing key = stage                    → <ns>.dlq.<stage>
 *   <ns>.retry.<T>ms fanout → queue <ns>.retry.<T>ms (TTL T, dead-letters back to <ns>.work with
 *                   the original routing key): one queue per delay, so no message waits behind a
 *                   longer one (no head-of-line blocking), and no broker plugin is needed.
 *   <ns>.events    topic    job.<collection>.<jobId> (job events), control.cancel.<collection>.<jobId>
 */
import type { Channel } from 'amqplib';
import { AMQP_PRIORITY, MAX_AMQP_PRIORITY, PRIORITIES, STAGES, type Priority, type Stage } from '../schema/domain.ts';

/**
 * classic: one node, priority inside each queue (x-max-priority); quorum: Raft-replicated across
 * a cluster's nodes, one queue per priority band (config: QUEUE_TYPE).
 */
export type QueueType = 'classic' | 'quorum';
export const QUEUE_TYPES: readonly QueueType[] = ['classic', 'quorum'];

/** Names of every exchange and queue under a namespace. */
export interface Topology {
  readonly namespace: string;
  readonly workExchange: string;
  readonly deadExchange: string;
  readonly eventsExchange: string;
  readonly queueType: QueueType;
  /** Routing key on the work and retry exchanges of work for `stage` at AMQP `priority` (default NORMAL). */
  stageKey(stage: Stage, priority?: number): string;
  /** Routing key on the dead exchange. */
  deadKey(stage: Stage): string;
  /** The queue holding `stage`'s work at AMQP `priority` (default NORMAL): the band's queue with quorum queues. */
  stageQueue(stage: Stage, priority?: number): string;
  /** Every queue holding `stage`'s work, highest priority first (one with classic queues). */
  stageQueues(stage: Stage): readonly string[];
  deadLetterQueue(stage: Stage): string;
  retryExchange(delayMs: number): string;
  retryQueue(delayMs: number): string;
}

/** Priority bands, highest first: the order in which consumers of quorum queues take work. */
const BANDS_HIGHEST_FIRST: readonly Priority[] = [...PRIORITIES].reverse();

/** The band of an AMQP priority (a message property; absent or out of range counts as its nearest band). */
export function priorityBand(priority: number | undefined): Priority {
  if (priority === undefined) return 'NORMAL';
  return PRIORITIES[Math.min(MAX_AMQP_PRIORITY, Math.max(AMQP_PRIORITY.LOW, Math.round(priority))) - 1]!;
}

export function topology(namespace: string, queueType: QueueType): Topology {
  if (!/^[a-zA-Z0-9_.-]{1,80}$/.test(namespace)) {
    throw new Error(`AMQP namespace "${namespace}" must match [a-zA-Z0-9_.-]{1,80}`);
  }
  const base = (stage: Stage) => `${namespace}.stage.${stage.toLowerCase()}`;
  const banded = queueType === 'quorum';
  return {
    namespace,
    queueType,
    workExchange: `${namespace}.work`,
    deadExchange: `${namespace}.dead`,
    eventsExchange: `${namespace}.events`,
    stageKey: (stage, priority) => banded ? `${stage.toLowerCase()}.${priorityBand(priority).toLowerCase()}` : stage.toLowerCase(),
    deadKey: (stage) => stage.toLowerCase(),
    stageQueue: (stage, priority) => banded ? `${base(stage)}.${priorityBand(priority).toLowerCase()}` : base(stage),
    stageQueues: (stage) => banded ? BANDS_HIGHEST_FIRST.map((band) => `${base(stage)}.${band.toLowerCase()}`) : [base(stage)],
    deadLetterQueue: (stage) => `${namespace}.dlq.${stage.toLowerCase()}`,
    retryExchange: (delayMs) => `${namespace}.retry.${delayMs}ms`,
    retryQueue: (delayMs) => `${namespace}.retry.${delayMs}ms`,
  };
}

/** Options of the declared queues. */
export interface QueueOptions {
  /** Every retry delay in use (tiers × jitter variants), in ms; see RetryPolicy.delays(). */
  readonly retryDelaysMs: readonly number[];
  /**
   * Most messages a stage queue (with quorum queues: each band's queue) holds before the broker
   * rejects publishes (backpressure). Default: unbounded. RabbitMQ cannot change a queue's
   * `x-max-length` in place: changing it needs the stage queues deleted (drained first) and
   * declared again.
   */
  readonly maxStageLength?: number;
  /**
   * Quorum queues only: deliveries of one message (redeliveries after a lost consumer or a requeue
   * included) before the broker dead-letters it, so a message that kills its consumer every time
   * cannot circle for ever (config: DELIVERY_LIMIT).
   */
  readonly deliveryLimit?: number;
}

/** Declares the work side of the topology: exchanges, stage queues, dead-letter and retry queues. */
export async function declareWorkTopology(channel: Channel, names: Topology, options: QueueOptions): Promise<void> {
  await channel.assertExchange(names.workExchange, 'direct', { durable: true });
  await channel.assertExchange(names.deadExchange, 'direct', { durable: true });
  await channel.assertExchange(names.eventsExchange, 'topic', { durable: true });
  const bounded = options.maxStageLength ? { 'x-max-length': options.maxStageLength, 'x-overflow': 'reject-publish' } : {};
  for (const stage of STAGES) {
    const deadLetterTo = { 'x-dead-letter-exchange': names.deadExchange, 'x-dead-letter-routing-key': names.deadKey(stage) };
    if (names.queueType === 'classic') {
      await assertQueue(channel, names.stageQueue(stage), {
        'x-queue-type': 'classic', 'x-max-priority': MAX_AMQP_PRIORITY, 'x-dead-letter-exchange': names.deadExchange, ...bounded,
      });
      await channel.bindQueue(names.stageQueue(stage), names.workExchange, names.stageKey(stage));
    } else {
      for (const band of PRIORITIES) {
        const priority = AMQP_PRIORITY[band];
        await assertQueue(channel, names.stageQueue(stage, priority), {
          ...QUORUM_DEAD_LETTERING, ...deadLetterTo, ...bounded,
          ...(options.deliveryLimit ? { 'x-delivery-limit': options.deliveryLimit } : {}),
        });
        await channel.bindQueue(names.stageQueue(stage, priority), names.workExchange, names.stageKey(stage, priority));
      }
      // A message routed with the bare stage key (a tool, or a publisher from before QUEUE_TYPE) is NORMAL work.
      await channel.bindQueue(names.stageQueue(stage), names.workExchange, stage.toLowerCase());
    }
    await assertQueue(channel, names.deadLetterQueue(stage), { 'x-queue-type': names.queueType });
    await channel.bindQueue(names.deadLetterQueue(stage), names.deadExchange, names.deadKey(stage));
  }
  for (const delay of options.retryDelaysMs) {
    await channel.assertExchange(names.retryExchange(delay), 'fanout', { durable: true });
    // Expired messages go back to the work exchange under their own routing key (stage and band).
    await assertQueue(channel, names.retryQueue(delay), {
      ...(names.queueType === 'quorum' ? QUORUM_DEAD_LETTERING : { 'x-queue-type': 'classic' }),
      'x-message-ttl': delay, 'x-dead-letter-exchange': names.workExchange,
    });
    await channel.bindQueue(names.retryQueue(delay), names.retryExchange(delay), '');
  }
}

/**
 * Quorum queues dead-letter at least once (the message stays until the target queue confirms it;
 * RabbitMQ's default for quorum queues is at most once), which requires `x-overflow:
 * reject-publish`: a full queue refuses publishes instead of dropping its head.
 * https://www.rabbitmq.com/quorum-queues.html#dead-lettering
 */
const QUORUM_DEAD_LETTERING = {
  'x-queue-type': 'quorum', 'x-dead-letter-strategy': 'at-least-once', 'x-overflow': 'reject-publish',
} as const;

async function assertQueue(channel: Channel, queue: string, args: Record<string, unknown>): Promise<void> {
  try {
    await channel.assertQueue(queue, { durable: true, arguments: args });
  } catch (error) {
    // 406 PRECONDITION_FAILED: the queue exists with other arguments (another x-max-length or queue type).
    if ((error as { code?: unknown }).code === 406) {
      throw new Error(
        `queue ${queue} exists with other arguments than ${JSON.stringify(args)} (${String((error as Error).message)}). ` +
        'RabbitMQ cannot change a queue\'s type or x-max-length in place: to change QUEUE_TYPE or MAX_STAGE_QUEUE_LENGTH, ' +
        `stop the actors, let the queue drain, delete it (rabbitmqctl delete_queue ${queue}) and start again, or use a new AMQP_NAMESPACE`,
        { cause: error },
      );
    }
    throw error;
  }
}

/** Removes everything declared under the namespace (tests and `rag` namespace resets). */
export async function deleteTopology(channel: Channel, names: Topology, retryDelaysMs: readonly number[]): Promise<void> {
  for (const stage of STAGES) {
    for (const queue of names.stageQueues(stage)) await channel.deleteQueue(queue);
    await channel.deleteQueue(names.deadLetterQueue(stage));
  }
  for (const delay of retryDelaysMs) {
    await channel.deleteQueue(names.retryQueue(delay));
    await channel.deleteExchange(names.retryExchange(delay));
  }
  await channel.deleteExchange(names.workExchange);
  await channel.deleteExchange(names.deadExchange);
  await channel.deleteExchange(names.eventsExchange);
}
