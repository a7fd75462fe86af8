/**
 * The project's metrics. OpenTelemetry names below; the Prometheus endpoint writes dots as `_`
 * and adds `_total` to counters (`rag_stage_messages_processed_total`); histograms are in
 * seconds (`# UNIT … s`) and keep their name (`rag_stage_handling_duration_bucket`).
 *
 * | metric                                  | kind            | attributes        | recorded by |
 * | --------------------------------------- | --------------- | ----------------- | ----------- |
 * | rag.stage.messages.processed            | counter         | rag.stage         | actors      |
 * | rag.stage.messages.failed               | counter (job FAILED, not retried) | rag.stage | actors |
 * | rag.stage.messages.retried              | counter         | rag.stage         | actors      |
 * | rag.stage.messages.dead_lettered        | counter         | rag.stage         | actors      |
 * | rag.stage.handling.duration (s)         | histogram       | rag.stage, rag.outcome | actors |
 * | rag.stage.in_flight                     | up-down counter | rag.stage         | actors (unacked deliveries held by this process) |
 * | rag.job.ingest_to_searchable.duration (s) | histogram     | rag.collection    | index actor |
 * | rag.search.duration (s)                 | histogram       | rag.collection    | gateway     |
 * | rag.queue.ready / unacked / consumers / dead_lettered | gauges | rag.stage | gateway (polled on collection) |
 * | rag.gateway.mutations.running / waiting | gauges          |                   | gateway (gateway/mutation-gate.ts) |
 * | rag.gateway.mutations.refused           | counter         |                   | gateway (past MAX_WAITING_MUTATIONS or MAX_MUTATION_WAIT_MS) |
 */
import { metrics, type Counter, type Histogram, type Meter, type MeterProvider, type UpDownCounter } from '@opentelemetry/api';
import type { Job } from '../schema/domain.ts';
import { ATTR } from './attributes.ts';

/** The instruments, bound to the meter provider registered now. */
export interface PipelineMetrics {
  readonly processed: Counter;
  readonly failed: Counter;
  readonly retried: Counter;
  readonly deadLettered: Counter;
  readonly handling: Histogram;
  readonly inFlight: UpDownCounter;
  readonly ingestToSearchable: Histogram;
  readonly search: Histogram;
  readonly mutationsRefused: Counter;
}

export const METER_NAME = 'rag-ingest';

// Seconds, from a few ms (a parse) to minutes (a big embed, or a job waiting behind a backlog).
const STAGE_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
const JOB_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800];
const SEARCH_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

let cached: { provider: MeterProvider; instruments: PipelineMetrics } | null = null;

/** The instruments of the current meter provider (no-ops when metrics are off). */
export function pipelineMetrics(): PipelineMetrics {
  const provider = metrics.getMeterProvider();
  if (cached?.provider !== provider) cached = { provider, instruments: createInstruments(provider.getMeter(METER_NAME)) };
  return cached.instruments;
}

/** Records a job that became searchable: from its creation to now. */
export function recordSearchable(job: Job): void {
  if (job.status !== 'SUCCEEDED') return;
  const seconds = ((job.finishedAt ?? new Date()).getTime() - job.createdAt.getTime()) / 1000;
  pipelineMetrics().ingestToSearchable.record(Math.max(0, seconds), { [ATTR.collection]: job.collection });
}

/** Times a search and records it. */
export async function timedSearch<T>(collection: string, search: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await search();
  } finally {
    pipelineMetrics().search.record((performance.now() - started) / 1000, { [ATTR.collection]: collection });
  }
}

function createInstruments(meter: Meter): PipelineMetrics {
  return {
    processed: meter.createCounter('rag.stage.messages.processed', { description: 'Stage messages handled successfully' }),
    failed: meter.createCounter('rag.stage.messages.failed', { description: 'Stage messages whose job failed permanently (not retried)' }),
    retried: meter.createCounter('rag.stage.messages.retried', { description: 'Failed attempts sent to a retry queue' }),
    deadLettered: meter.createCounter('rag.stage.messages.dead_lettered', { description: 'Messages sent to a dead-letter queue' }),
    handling: meter.createHistogram('rag.stage.handling.duration', {
      description: 'Time from delivery to ack of a stage message', unit: 's', advice: { explicitBucketBoundaries: STAGE_BUCKETS },
    }),
    inFlight: meter.createUpDownCounter('rag.stage.in_flight', { description: 'Deliveries held unacked by this process' }),
    ingestToSearchable: meter.createHistogram('rag.job.ingest_to_searchable.duration', {
      description: 'Time from job creation to SUCCEEDED (searchable)', unit: 's', advice: { explicitBucketBoundaries: JOB_BUCKETS },
    }),
    search: meter.createHistogram('rag.search.duration', {
      description: 'Search latency at the gateway, query embedding included', unit: 's', advice: { explicitBucketBoundaries: SEARCH_BUCKETS },
    }),
    mutationsRefused: meter.createCounter('rag.gateway.mutations.refused', { description: 'Mutations refused at their turn: MAX_WAITING_MUTATIONS already waiting, or not started within MAX_MUTATION_WAIT_MS' }),
  };
}
