/**
 * Publishing a stage's input message to the work exchange: one set of options for every
 * sender (the gateway's ingest, a retried job, the actor runtime handing work on), so the next
 * stage sees the same priority, message id and attempt header whoever sent it.
 */
import type { Options } from 'amqplib';
import { AMQP_PRIORITY, type Priority, type Stage } from '../schema/domain.ts';
import type { Broker } from './broker.ts';
import { HEADERS } from './headers.ts';
import type { Topology } from './topology.ts';

/** A stage's input message and what its options derive from. */
export interface StageMessage {
  readonly stage: Stage;
  readonly jobId: string;
  readonly priority: Priority;
  /** The message body: JSON text of a contract in schema/messages/. */
  readonly body: string;
  /** AMQP `type`, the contract's name, when the sender has it at hand. */
  readonly type?: string;
  /** Headers carried on (trace context, …); the attempt header is always reset to 1. */
  readonly headers?: Readonly<Record<string, unknown>>;
}

/** A stage message ready to publish, or to commit to the outbox (Store.acceptJob) for the relay to publish. */
export interface StagePublish {
  readonly exchange: string;
  readonly routingKey: string;
  readonly content: Buffer;
  readonly options: Options.Publish & Readonly<Record<string, unknown>>;
  readonly priority: number;
  /** The message as an object, when it was built from one (stageMessageOfValue). */
  readonly value?: unknown;
}

/**
 * Where and how a stage message goes: the work exchange, the stage's routing key (its priority
 * band on quorum queues), a first attempt at its job's priority, a stable id per (job, stage).
 */
export function stageMessage(names: Topology, message: StageMessage): StagePublish {
  return { ...envelope(names, message), content: Buffer.from(message.body) };
}

/**
 * stageMessage for a message that is still an object (a stage's result): its JSON is made only
 * when `content` is first read. A message handed over in process (hand-over.ts) and settled there
 * never is: serializing and parsing again every hop's result (vectors included) cost 2–3% of the
 * pipeline worker's samples (issue 15).
 */
export function stageMessageOfValue(names: Topology, message: Omit<StageMessage, 'body'>, value: unknown): StagePublish {
  let content: Buffer | null = null;
  return { ...envelope(names, message), value, get content() { return (content ??= Buffer.from(JSON.stringify(value))); } };
}

/** Everything of a stage message but its body. */
function envelope(names: Topology, message: Omit<StageMessage, 'body'>): Omit<StagePublish, 'content'> {
  const priority = AMQP_PRIORITY[message.priority];
  return {
    exchange: names.workExchange,
    routingKey: names.stageKey(message.stage, priority),
    priority,
    options: {
      priority,
      contentType: 'application/json',
      messageId: `${message.jobId}:${message.stage}`,
      ...(message.type === undefined ? {} : { type: message.type }),
      headers: { ...message.headers, [HEADERS.attempt]: 1 },
    },
  };
}

/** Publishes (with confirm) to the stage's queue through the work exchange. */
export function publishToStage(broker: Pick<Broker, 'publish'>, names: Topology, message: StageMessage): Promise<void> {
  return sendStagePublish(broker, stageMessage(names, message));
}

/** Publishes (with confirm) a stage message already built by stageMessage. */
export function sendStagePublish(broker: Pick<Broker, 'publish'>, publish: StagePublish): Promise<void> {
  return broker.publish(publish.exchange, publish.routingKey, publish.content, publish.options);
}
