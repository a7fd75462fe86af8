/** Percentiles and summaries of latency samples (nearest-rank). */

/** p50/p95/p99 of a sample set, in ms, with its size. */
export interface LatencySummary {
  readonly n: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

/** The samples behind each summary, so that summaries of several rounds can be merged exactly. */
const samplesOf = new WeakMap<LatencySummary, readonly number[]>();

export function summarize(samples: readonly number[]): LatencySummary {
  const sorted = [...samples].sort((a, b) => a - b);
  const round = (value: number) => Math.round(value * 10) / 10;
  const summary = {
    n: sorted.length,
    p50: round(percentile(sorted, 50)),
    p95: round(percentile(sorted, 95)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted.at(-1) ?? Number.NaN),
  };
  samplesOf.set(summary, sorted);
  return summary;
}

/** One summary of every sample behind `summaries` (made by summarize in this process). */
export function mergeSummaries(summaries: readonly LatencySummary[]): LatencySummary {
  return summarize(summaries.flatMap((summary) => samplesOf.get(summary) ?? []));
}
