/**
 * Handing work on in process. When the next stage's actor runs in the same process and has a free
 * slot, its message goes straight to it instead of through the broker: no confirmed publish, no
 * delivery, no ack, no broker CPU (the broker client was the largest cost of every hop, issue 15).
 * The stage that handed the message over acks its own delivery only when the next stage has
 * finished with it (acked, retried, dead-lettered) or put it in its queue, so a crash anywhere in
 * between redelivers the first message and the chain runs again: every stage is idempotent.
 *
 * Only a free slot takes work in process: when the next stage is busy (a slow embedder, say) the
 * message goes to its queue as before, where priority orders it and the supervisor sees the
 * backlog and scales that stage out.
 *
 * The job goes along as the stage before left it: while nobody listens to progress and that state
 * is fresh, the next stage starts without writing its start to the store (see ActorRuntime).
 */
import type { ConsumeMessage } from 'amqplib';
import type { Job, Stage } from '../schema/domain.ts';
import { IN_PROCESS_CONSUMER_TAG, withTraceContext } from '../observability/amqp-tracing.ts';
import type { StagePublish } from './stage-publish.ts';

/** A stage's actor running in this process, as the stage before it sees it. */
export interface InProcessStage {
  /** True while it consumes and has a free slot. */
  hasRoom(): boolean;
  /**
   * Runs the message as a delivery of its own; resolves when it is settled (rejects if it could not
   * be queued). `job` is the job as the handing stage last read or wrote it.
   */
  takeOver(message: ConsumeMessage, publish: StagePublish, job: Job): Promise<void>;
}

/** Finds the actor of a stage in this process, if one runs here. */
export type InProcessStages = (stage: Stage) => InProcessStage | undefined;

/**
 * The delivery a handed-over message looks like to the runtime: the same content, properties and
 * routing as if it had come from the stage's queue, with the active trace context in its headers:
 * its CONSUMER span is a child of the delivery that handed it over, marked `rag.handed_over`.
 */
export function handedOverDelivery(publish: StagePublish): ConsumeMessage {
  const { headers, ...properties } = publish.options;
  const message = {
    // Read only if the message leaves the process (queued, dead-lettered, kept as a resume point).
    get content() { return publish.content; },
    fields: { deliveryTag: 0, redelivered: false, exchange: publish.exchange, routingKey: publish.routingKey, consumerTag: IN_PROCESS_CONSUMER_TAG },
    properties: { ...properties, headers: withTraceContext({ ...headers }) },
  } as unknown as ConsumeMessage;
  if ('value' in publish) handedValues.set(message, publish.value);
  return message;
}

const handedValues = new WeakMap<ConsumeMessage, unknown>();

/**
 * The object a handed-over message was made from, so the stage taking it over validates it without
 * a JSON round trip (its contract check still runs); undefined for a broker delivery.
 */
export function handedOverValue(message: ConsumeMessage): { readonly value: unknown } | undefined {
  return handedValues.has(message) ? { value: handedValues.get(message) } : undefined;
}
