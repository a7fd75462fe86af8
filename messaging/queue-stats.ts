/**
 * Per-stage queue statistics for the `queues` query and the rag.queue.* gauges.
 *
 * ready and consumers come from a passive queue check (queue.declare passive: no broker plugin
 * needed), deadLettered is the ready count of the stage's dead-letter queue. unacked is what
 * the consumers of THIS process hold (exact when the actors run in the gateway's process, as in
 * tests; with separate actor processes read `rag_stage_in_flight` from each actor's metrics).
 * publishRate and ackRate are null: AMQP 0-9-1 does not report rates (the management plugin
 * does); compute them in Prometheus from the rag_stage_messages_* counters.
 */
import { metrics, type BatchObservableResult } from '@opentelemetry/api';
import { STAGES, type Stage } from '../schema/domain.ts';
import type { Broker } from './broker.ts';
import type { Topology } from './topology.ts';
import { checkStageQueues } from './stage-depth.ts';
import { ATTR } from '../observability/attributes.ts';
import { inFlight } from '../observability/in-flight.ts';
import { METER_NAME } from '../observability/metrics.ts';

/** One stage's queue, as returned by the `queues` query. */
export interface QueueStats {
  readonly stage: Stage;
  readonly ready: number;
  readonly unacked: number;
  readonly consumers: number;
  readonly deadLettered: number;
  readonly publishRate: number | null;
  readonly ackRate: number | null;
}

export class QueueStatsReader {
  constructor(private readonly broker: Broker, private readonly names: Topology) {}

  /** The stats of every stage, in pipeline order. Throws BrokerUnavailableError when RabbitMQ is unreachable. */
  read(): Promise<QueueStats[]> {
    return this.broker.withChannel(async (channel) => {
      const all: QueueStats[] = [];
      for (const stage of STAGES) {
        const queues = this.names.stageQueues(stage);
        const work = await checkStageQueues(channel, queues);
        const dead = await channel.checkQueue(this.names.deadLetterQueue(stage));
        all.push({
          stage, ready: work.ready, unacked: queues.reduce((sum, queue) => sum + inFlight(queue), 0), consumers: work.consumers,
          deadLettered: dead.messageCount, publishRate: null, ackRate: null,
        });
      }
      return all;
    });
  }
}

/**
 * Registers the rag.queue.* observable gauges, read from the broker on each collection
 * (each Prometheus scrape or OTLP export). Returns a function that unregisters them.
 */
export function registerQueueGauges(reader: QueueStatsReader, onError: (error: unknown) => void = () => {}): () => void {
  const meter = metrics.getMeter(METER_NAME);
  const ready = meter.createObservableGauge('rag.queue.ready', { description: 'Messages ready in the stage queue' });
  const unacked = meter.createObservableGauge('rag.queue.unacked', { description: 'Deliveries unacked by consumers in this process' });
  const consumers = meter.createObservableGauge('rag.queue.consumers', { description: 'Consumers of the stage queue' });
  const deadLettered = meter.createObservableGauge('rag.queue.dead_lettered', { description: 'Messages in the stage dead-letter queue' });
  const callback = async (result: BatchObservableResult) => {
    let all: QueueStats[];
    try { all = await reader.read(); } catch (error) { onError(error); return; }
    for (const stats of all) {
      const attributes = { [ATTR.stage]: stats.stage };
      result.observe(ready, stats.ready, attributes);
      result.observe(unacked, stats.unacked, attributes);
      result.observe(consumers, stats.consumers, attributes);
      result.observe(deadLettered, stats.deadLettered, attributes);
    }
  };
  const observables = [ready, unacked, consumers, deadLettered];
  meter.addBatchObservableCallback(callback, observables);
  return () => meter.removeBatchObservableCallback(callback, observables);
}
