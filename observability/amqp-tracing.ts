/**
 * Trace context across RabbitMQ hops (W3C traceparent/tracestate in the AMQP headers), after
 * OpenTelemetry's instrumentation-amqplib: every publish is a PRODUCER span whose context is
 * injected into the message's headers; every delivery is a CONSUMER span, child of the publish
 * that sent it. A message sent back for a retry keeps its headers and gets the failed
 * delivery's context, so retries stay in the job's trace. A publish made outside any span
 * (a replay from a dead-letter queue, say) continues the trace already carried in the headers.
 *
 * The delivery span also drives the per-stage metrics (see metrics.ts): the runtime marks how
 * each delivery ended with markOutcome, and the span times it.
 */
import {
  SpanKind, context, createContextKey, propagation, trace,
  type Attributes, type Span, type TextMapGetter, type TextMapSetter,
} from '@opentelemetry/api';
import type { ConsumeMessage, Options } from 'amqplib';
import type { Priority, Stage } from '../schema/domain.ts';
import { ATTR, MESSAGING_SYSTEM_RABBITMQ, SPAN } from './attributes.ts';
import { enterDelivery, leaveDelivery } from './in-flight.ts';
import { pipelineMetrics } from './metrics.ts';
import { inSpan, isTelemetryOn, isUntraced, recordFailure } from './tracing.ts';

type Headers = Record<string, unknown>;

const getter: TextMapGetter<Headers> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => {
    const value = carrier[key];
    if (typeof value === 'string') return value;
    if (Buffer.isBuffer(value)) return value.toString('utf8');
    return undefined;
  },
};

const setter: TextMapSetter<Headers> = {
  set: (carrier, key, value) => { carrier[key] = value; },
};

/**
 * The headers with the active trace context added, for a message published later by someone else
 * (the outbox relay): its PRODUCER span then joins the trace of the operation that wrote it.
 */
export function withTraceContext(headers: Headers): Headers {
  const carried: Headers = { ...headers };
  propagation.inject(context.active(), carried, setter);
  return carried;
}

/**
 * Publishes through `send` inside a PRODUCER span and with the span's context in the headers.
 * Publishes inside untraced() (job events) are sent as they are.
 */
export function tracedPublish(
  exchange: string, routingKey: string, content: Buffer, options: Options.Publish,
  send: (options: Options.Publish) => Promise<void>,
): Promise<void> {
  if (!isTelemetryOn() || isUntraced()) return send(options);
  const headers: Headers = { ...(options.headers ?? {}) };
  const parent = trace.getActiveSpan() ? context.active() : propagation.extract(context.active(), headers, getter);
  const destination = routingKey ? `${exchange} ${routingKey}` : exchange;
  return inSpan({
    name: SPAN.publish(destination),
    kind: SpanKind.PRODUCER,
    parent,
    attributes: {
      ...messagingAttributes('publish', exchange, routingKey, content, options.messageId),
      ...(typeof options.priority === 'number' ? { 'messaging.rabbitmq.message.priority': options.priority } : {}),
      ...(typeof headers['x-attempt'] === 'number' ? { [ATTR.attempt]: headers['x-attempt'] } : {}),
    },
  }, async () => {
    propagation.inject(context.active(), headers, setter);
    await send({ ...options, headers });
  });
}

/** The consumer tag of a delivery handed over in process, not delivered by the broker. */
export const IN_PROCESS_CONSUMER_TAG = 'in-process';

/** How a delivery ended; each maps to a counter in metrics.ts (processed, failed, …). */
export type DeliveryOutcome = 'processed' | 'failed' | 'retried' | 'dead_lettered' | 'cancelled' | 'dropped';

interface DeliveryState {
  readonly span: Span;
  readonly stage: Stage;
  outcome: DeliveryOutcome | null;
}

const DELIVERY = createContextKey('rag-ingest delivery');

/**
 * Runs the handling of one delivery inside a CONSUMER span whose parent is the context in the
 * message's headers; counts it in flight and times it for the stage metrics.
 */
export function tracedDelivery(stage: Stage, queue: string, message: ConsumeMessage, handle: () => Promise<void>): Promise<void> {
  if (!isTelemetryOn()) return countedDelivery(queue, handle);
  const headers: Headers = message.properties.headers ?? {};
  const parent = propagation.extract(context.active(), headers, getter);
  const started = performance.now();
  const instruments = pipelineMetrics();
  const stageAttributes = { [ATTR.stage]: stage };
  enterDelivery(queue);
  instruments.inFlight.add(1, stageAttributes);
  return inSpan({
    name: SPAN.process(stage),
    kind: SpanKind.CONSUMER,
    parent,
    attributes: {
      ...messagingAttributes('process', message.fields.exchange, message.fields.routingKey, message.content, message.properties.messageId),
      [ATTR.messagingDeliveryTag]: message.fields.deliveryTag,
      [ATTR.stage]: stage,
      ...(message.fields.consumerTag === IN_PROCESS_CONSUMER_TAG ? { [ATTR.handedOver]: true } : {}),
    },
  }, async (span) => {
    const state: DeliveryState = { span, stage, outcome: null };
    try {
      await context.with(context.active().setValue(DELIVERY, state), handle);
    } finally {
      leaveDelivery(queue);
      instruments.inFlight.add(-1, stageAttributes);
      const outcome = state.outcome ?? 'dropped';
      span.setAttribute(ATTR.outcome, outcome);
      instruments.handling.record((performance.now() - started) / 1000, { ...stageAttributes, [ATTR.outcome]: outcome });
    }
  });
}

/** A delivery with telemetry off: only counted in flight (see in-flight.ts). */
async function countedDelivery(queue: string, handle: () => Promise<void>): Promise<void> {
  enterDelivery(queue);
  try {
    await handle();
  } finally {
    leaveDelivery(queue);
  }
}

/** Adds the job's identity to the delivery span (once the message is parsed). */
export function annotateDelivery(job: { jobId: string; collection: string; priority: Priority }, attempt: number): void {
  current()?.span.setAttributes({
    [ATTR.jobId]: job.jobId, [ATTR.collection]: job.collection, [ATTR.priority]: job.priority, [ATTR.attempt]: attempt,
  });
}

/**
 * Records how the current delivery ended: counts it, and marks a failure (error status and
 * the exception) on the delivery span for failed, retried and dead-lettered attempts.
 */
export function markOutcome(outcome: DeliveryOutcome, error?: unknown): void {
  const state = current();
  if (!state) return;
  state.outcome = outcome;
  const attributes = { [ATTR.stage]: state.stage };
  const instruments = pipelineMetrics();
  if (outcome === 'processed') instruments.processed.add(1, attributes);
  if (outcome === 'failed') instruments.failed.add(1, attributes);
  if (outcome === 'retried') instruments.retried.add(1, attributes);
  if (outcome === 'dead_lettered') instruments.deadLettered.add(1, attributes);
  if (error !== undefined && (outcome === 'failed' || outcome === 'retried' || outcome === 'dead_lettered')) recordFailure(state.span, error);
}

/** Runs the actor's handler in a child span of the delivery; notes the chunk count of its result. */
export function tracedHandle<R>(stage: Stage, attempt: number, handle: () => Promise<R>): Promise<R> {
  if (!isTelemetryOn()) return handle();
  return inSpan({ name: SPAN.handle(stage), attributes: { [ATTR.stage]: stage, [ATTR.attempt]: attempt } }, async (span) => {
    const result = await handle();
    const chunks = chunkCountOf(result);
    if (chunks !== null) {
      span.setAttribute(ATTR.chunkCount, chunks);
      current()?.span.setAttribute(ATTR.chunkCount, chunks);
    }
    return result;
  });
}

function current(): DeliveryState | undefined {
  return context.active().getValue(DELIVERY) as DeliveryState | undefined;
}

/** Chunks in a stage result: the next message's `chunks`, or the finished job's chunkCount. */
function chunkCountOf(result: unknown): number | null {
  const value = result as { next?: { chunks?: unknown }; done?: { chunkCount?: unknown } } | null;
  if (Array.isArray(value?.next?.chunks)) return value.next.chunks.length;
  if (typeof value?.done?.chunkCount === 'number') return value.done.chunkCount;
  return null;
}

function messagingAttributes(operation: 'publish' | 'process', exchange: string, routingKey: string, content: Buffer, messageId: unknown): Attributes {
  const attributes: Attributes = {
    [ATTR.messagingSystem]: MESSAGING_SYSTEM_RABBITMQ,
    [ATTR.messagingOperationType]: operation,
    [ATTR.messagingOperationName]: operation,
    [ATTR.messagingDestination]: exchange,
    [ATTR.messagingRoutingKey]: routingKey,
    [ATTR.messageSize]: content.length,
  };
  if (typeof messageId === 'string') {
    attributes[ATTR.messagingMessageId] = messageId;
    // Work messages are named `<jobId>:<STAGE>` (gateway ingest and actor runtime).
    const jobId = /^([0-9a-f-]{36}):[A-Z]+$/.exec(messageId)?.[1];
    if (jobId) attributes[ATTR.jobId] = jobId;
  }
  return attributes;
}
