/**
 * The RabbitMQ topology, named under one namespace so that tests (and several deployments on one
 * broker) never share queues.
 *
 *   <ns>.work      direct   routing key = stage (fetch, parse, …) → <ns>.stage.<stage>
 *   <ns>.dead      direct   routing key = stage                    → <ns>.dlq.<stage>
 *   <ns>.retry.<T>ms fanout → queue <ns>.retry.<T>ms (TTL T, dead-letters back to <ns>.work with
 *                   the original routing key): one queue per delay, so no message waits behind a
 *                   longer one (no head-of-line blocking), and no broker plugin is needed.
 *   <ns>.events    topic    job.<collection>.<jobId> (job events), control.cancel.<collection>.<jobId>
 */
import type { Channel } from 'amqplib';
import { MAX_AMQP_PRIORITY, STAGES, type Stage } from '../schema/domain.ts';

/** Names of every exchange and queue under a namespace. */
export interface Topology {
  readonly namespace: string;
  readonly workExchange: string;
  readonly deadExchange: string;
  readonly eventsExchange: string;
  stageKey(stage: Stage): string;
  stageQueue(stage: Stage): string;
  deadLetterQueue(stage: Stage): string;
  retryExchange(delayMs: number): string;
  retryQueue(delayMs: number): string;
}

export function topology(namespace = 'rag'): Topology {
  if (!/^[a-zA-Z0-9_.-]{1,80}$/.test(namespace)) {
    throw new Error(`AMQP namespace "${namespace}" must match [a-zA-Z0-9_.-]{1,80}`);
  }
  return {
    namespace,
    workExchange: `${namespace}.work`,
    deadExchange: `${namespace}.dead`,
    eventsExchange: `${namespace}.events`,
    stageKey: (stage) => stage.toLowerCase(),
    stageQueue: (stage) => `${namespace}.stage.${stage.toLowerCase()}`,
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
   * Most messages a stage queue holds before the broker rejects publishes (backpressure).
   * Default: unbounded. RabbitMQ cannot change a queue's `x-max-length` in place: changing it
   * needs the stage queues deleted (drained first) and declared again.
   */
  readonly maxStageLength?: number;
}

/** Declares the work side of the topology: exchanges, stage queues, dead-letter and retry queues. */
export async function declareWorkTopology(channel: Channel, names: Topology, options: QueueOptions): Promise<void> {
  await channel.assertExchange(names.workExchange, 'direct', { durable: true });
  await channel.assertExchange(names.deadExchange, 'direct', { durable: true });
  await channel.assertExchange(names.eventsExchange, 'topic', { durable: true });
  for (const stage of STAGES) {
    const key = names.stageKey(stage);
    await assertStageQueue(channel, names.stageQueue(stage), {
      'x-queue-type': 'classic',
      'x-max-priority': MAX_AMQP_PRIORITY,
      'x-dead-letter-exchange': names.deadExchange,
      ...(options.maxStageLength ? { 'x-max-length': options.maxStageLength, 'x-overflow': 'reject-publish' } : {}),
    });
    await channel.bindQueue(names.stageQueue(stage), names.workExchange, key);
    await channel.assertQueue(names.deadLetterQueue(stage), { durable: true, arguments: { 'x-queue-type': 'classic' } });
    await channel.bindQueue(names.deadLetterQueue(stage), names.deadExchange, key);
  }
  for (const delay of options.retryDelaysMs) {
    await channel.assertExchange(names.retryExchange(delay), 'fanout', { durable: true });
    await channel.assertQueue(names.retryQueue(delay), {
      durable: true,
      arguments: { 'x-queue-type': 'classic', 'x-message-ttl': delay, 'x-dead-letter-exchange': names.workExchange },
    });
    await channel.bindQueue(names.retryQueue(delay), names.retryExchange(delay), '');
  }
}

async function assertStageQueue(channel: Channel, queue: string, args: Record<string, unknown>): Promise<void> {
  try {
    await channel.assertQueue(queue, { durable: true, arguments: args });
  } catch (error) {
    // 406 PRECONDITION_FAILED: the queue exists with other arguments, typically another x-max-length.
    if ((error as { code?: unknown }).code === 406) {
      throw new Error(
        `stage queue ${queue} exists with other arguments than ${JSON.stringify(args)} (${String((error as Error).message)}). ` +
        'RabbitMQ cannot change x-max-length in place: to change MAX_STAGE_QUEUE_LENGTH, stop the actors, let the queue drain, ' +
        `delete it (rabbitmqctl delete_queue ${queue}) and start again, or use a new AMQP_NAMESPACE`,
        { cause: error },
      );
    }
    throw error;
  }
}

/** Removes everything declared under the namespace (tests and `rag` namespace resets). */
export async function deleteTopology(channel: Channel, names: Topology, retryDelaysMs: readonly number[]): Promise<void> {
  for (const stage of STAGES) {
    await channel.deleteQueue(names.stageQueue(stage));
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
