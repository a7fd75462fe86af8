/** The queue-types table of `npm run bench` and `npm run bench:cluster`. */
import type { QueueTypeRun } from './queue-types.ts';

/** Documents each queue type ingests: enough for a steady rate, few enough for the cluster's share of the run. */
export const QUEUE_TYPES_DOCUMENTS = Number(process.env.BENCH_QUEUE_TYPES_DOCUMENTS ?? 1000);

export function printQueueTypes(runs: readonly QueueTypeRun[]): void {
  const rows = runs.map((run) => run.result
    ? `| ${run.label} | ${run.result.documents} | ${run.result.documentsPerSecond} | ${run.result.mutationMs.p50} / ${run.result.mutationMs.p95} / ${run.result.mutationMs.p99} | ${run.result.searchableMs.p50} / ${run.result.searchableMs.p95} |`
    : `| ${run.label} | skipped: ${run.skipped} | | | |`);
  console.log(['', '| queues | documents | documents/s | mutation p50 / p95 / p99 ms | ingest→searchable p50 / p95 ms |', '| --- | --- | --- | --- | --- |', ...rows, ''].join('\n'));
}
