/**
 * Span helpers over the OpenTelemetry API. They work whether or not telemetry was started.
 *
 * With telemetry off (the default: no SDK started in this process) they run the work directly.
 * The API's no-op path is not free: every delivery of every hop went through startActiveSpan,
 * context.with and attribute objects for spans nobody records, 4–6% of the pipeline worker's
 * samples (issue 15). Off, there is no context manager either, so nothing set in a context could
 * be read back: skipping the API loses nothing.
 *
 * The tracer is looked up on every use (not cached at import) so that a provider registered
 * later — or replaced by a test — is the one that records.
 */
import {
  INVALID_SPAN_CONTEXT, SpanKind, SpanStatusCode, context, createContextKey, isSpanContextValid, trace,
  type Attributes, type Context, type Span, type Tracer,
} from '@opentelemetry/api';

const TRACER_NAME = 'rag-ingest';

let telemetryOn = false;

/** Set by startTelemetry while an SDK runs in this process (traces, metrics or both). */
export function setTelemetryOn(on: boolean): void {
  telemetryOn = on;
}

/** True while telemetry runs in this process: spans, contexts and metrics are worth their cost. */
export function isTelemetryOn(): boolean {
  return telemetryOn;
}

/** What work run untraced is given for a span: records nothing, carries an invalid context. */
const NOT_RECORDED: Span = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

export function tracer(): Tracer {
  return trace.getTracer(TRACER_NAME);
}

/** Marks a failure on the span: the exception as an event, and status ERROR with its message. */
export function recordFailure(span: Span, error: unknown): void {
  const exception = error instanceof Error ? error : new Error(String(error));
  span.recordException(exception);
  span.setStatus({ code: SpanStatusCode.ERROR, message: exception.message });
}

/** The span's trace id, or null when tracing is off (no-op spans carry an invalid context). */
export function traceIdOf(span: Span): string | null {
  const spanContext = span.spanContext();
  return isSpanContextValid(spanContext) ? spanContext.traceId : null;
}

/** Options of a span started by inSpan. */
export interface SpanSpec {
  readonly name: string;
  readonly kind?: SpanKind;
  readonly attributes?: Attributes;
  /** Start a new trace even if a span is active (each ingested job is its own trace). */
  readonly root?: boolean;
  /** Parent context; default the active one. */
  readonly parent?: Context;
}

/** Runs `work` in a new active span, ends it, and records a thrown error on it (then rethrows). */
export function inSpan<T>(spec: SpanSpec, work: (span: Span) => Promise<T>): Promise<T> {
  if (!telemetryOn) return work(NOT_RECORDED);
  const options = { kind: spec.kind ?? SpanKind.INTERNAL, ...(spec.attributes ? { attributes: spec.attributes } : {}), ...(spec.root ? { root: true } : {}) };
  return tracer().startActiveSpan(spec.name, options, spec.parent ?? context.active(), async (span) => {
    try {
      return await work(span);
    } catch (error) {
      recordFailure(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}

/**
 * Like inSpan, but only inside a traced operation: with no active span, `work` runs untraced.
 * Used for store and embedder calls, so that a job query polled by a client does not start
 * a trace of its own.
 */
export function inChildSpan<T>(name: string, attributes: Attributes, work: (span: Span | null) => Promise<T>): Promise<T> {
  if (!telemetryOn || !trace.getActiveSpan() || context.active().getValue(UNTRACED)) return work(null);
  return inSpan({ name, attributes }, work);
}

const UNTRACED = createContextKey('rag-ingest untraced');

/** Runs `work` with publishes and child spans left out of the trace (job events, cancel signals). */
export function untraced<T>(work: () => T): T {
  if (!telemetryOn) return work();
  return context.with(context.active().setValue(UNTRACED, true), work);
}

/** True inside untraced(). */
export function isUntraced(): boolean {
  return context.active().getValue(UNTRACED) === true;
}
