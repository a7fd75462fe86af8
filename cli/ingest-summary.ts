/** The closing report of `rag ingest`: as text for people, as JSON with --json. */
import { foundUnchanged, isTerminal, type JobState } from './job-state.ts';
import type { TrackedJob } from './ingest-tracker.ts';
import { formatTable, printJson, type Output } from './output.ts';

/** A source that was not sent, and why. */
export interface SkippedSource {
  readonly file: string;
  readonly reason: string;
}

/** Everything the summary reports. */
export interface IngestReport {
  readonly collection: string;
  readonly jobs: readonly TrackedJob[];
  readonly skipped: readonly SkippedSource[];
  readonly elapsedMs: number;
  /** Set when Ctrl-C ended the watch. */
  readonly interrupted?: { readonly cancelled: readonly string[] };
  /** With --prune: the ids of the documents deleted, their files gone. */
  readonly pruned?: readonly string[];
}

function entry(job: TrackedJob) {
  const state: JobState = job.state;
  return {
    file: job.name, jobId: state.id, documentId: state.documentId, status: state.status, stage: state.stage, chunkCount: state.chunkCount,
    unchanged: foundUnchanged(state), error: state.error,
  };
}

export function printSummary(output: Output, report: IngestReport, json: boolean): void {
  const succeeded = report.jobs.filter((job) => job.state.status === 'SUCCEEDED');
  const failed = report.jobs.filter((job) => isTerminal(job.state.status) && job.state.status !== 'SUCCEEDED');
  const unfinished = report.jobs.filter((job) => !isTerminal(job.state.status));
  const unchanged = succeeded.filter((job) => foundUnchanged(job.state)).length;
  const seconds = report.elapsedMs / 1000;
  const finished = succeeded.length + failed.length;
  const rate = seconds > 0 ? finished / seconds : 0;
  if (json) {
    printJson(output, {
      collection: report.collection,
      succeeded: succeeded.map(entry),
      failed: failed.map(entry),
      unfinished: unfinished.map(entry),
      skipped: report.skipped,
      elapsedSeconds: Number(seconds.toFixed(3)),
      documentsPerSecond: Number(rate.toFixed(3)),
      ...(report.pruned ? { pruned: report.pruned } : {}),
      ...(report.interrupted ? { interrupted: true, cancelledJobIds: report.interrupted.cancelled } : {}),
    });
    return;
  }
  const lines = [
    '',
    `Summary: ${succeeded.length} succeeded${unchanged > 0 ? ` (${unchanged} unchanged)` : ''}, ${failed.length} failed, ${report.skipped.length} skipped` +
      (unfinished.length > 0 ? `, ${unfinished.length} unfinished` : '') +
      (report.pruned ? `, ${report.pruned.length} pruned` : '') +
      ` in ${seconds.toFixed(1)} s (${rate.toFixed(1)} documents/s)`,
  ];
  if (failed.length > 0) {
    lines.push('Failed:', indent(formatTable(['file', 'status', 'reason'], failed.map((job) => [job.name, job.state.status, job.state.error ?? '']))));
  }
  if (report.skipped.length > 0) {
    lines.push('Skipped:', indent(formatTable(['file', 'reason'], report.skipped.map((skip) => [skip.file, skip.reason]))));
  }
  output.stdout.write(`${lines.join('\n')}\n`);
}

function indent(text: string): string {
  return text.split('\n').map((line) => `  ${line}`).join('\n');
}
