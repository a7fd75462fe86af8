/**
 * How `rag ingest --watch` and `rag job --watch` show progress: bars on a terminal (an overall bar
 * plus one per running job), plain lines otherwise (logs, pipes, CI), nothing with --json.
 */
import cliProgress from 'cli-progress';
import { describeJob, isFailure, isTerminal, type JobState } from './job-state.ts';
import type { Output } from './output.ts';

/** Receives every change of the watched jobs. */
export interface ProgressView {
  /** The number of documents the overall bar counts to. */
  setTotal(total: number): void;
  /** A job (shown under `name`) reached a new state. */
  update(name: string, job: JobState): void;
  /** A line that is not a job state (a skipped file, a warning). */
  note(line: string): void;
  /** Ends the display (bars are stopped so the summary prints below them). */
  stop(): void;
}

/** Picks the view: none for --json, bars on a TTY, lines otherwise. */
export function createProgressView(output: Output, options: { json: boolean }): ProgressView {
  if (options.json) return silentView;
  return output.stdout.isTTY === true ? new BarView(output) : new LineView(output);
}

const silentView: ProgressView = { setTotal() {}, update() {}, note() {}, stop() {} };

/** `<file>: STAGE status progress%`, and the terminal line; repeats of the same line are dropped. */
class LineView implements ProgressView {
  private readonly lastLine = new Map<string, string>();
  constructor(private readonly output: Output) {}

  setTotal(): void {}

  update(name: string, job: JobState): void {
    const line = `${name}: ${describeJob(job)}`;
    if (this.lastLine.get(job.id) === line) return;
    this.lastLine.set(job.id, line);
    this.output.stdout.write(`${line}\n`);
  }

  note(line: string): void {
    this.output.stdout.write(`${line}\n`);
  }

  stop(): void {}
}

/** Running jobs each get a bar, removed once the job ends (its outcome is logged above the bars). */
class BarView implements ProgressView {
  private readonly bars: cliProgress.MultiBar;
  private readonly overall: cliProgress.SingleBar;
  private readonly perJob = new Map<string, cliProgress.SingleBar>();
  private readonly finished = new Set<string>();
  private failed = 0;

  constructor(output: Output) {
    this.bars = new cliProgress.MultiBar(
      {
        stream: output.stdout,
        format: '{name} {bar} {percentage}% | {detail}',
        hideCursor: true,
        clearOnComplete: false,
        autopadding: true,
      },
      cliProgress.Presets.shades_classic,
    );
    this.overall = this.bars.create(0, 0, { name: pad('all documents'), detail: '' });
  }

  setTotal(total: number): void {
    this.overall.setTotal(total);
    this.refreshOverall();
  }

  update(name: string, job: JobState): void {
    if (this.finished.has(job.id)) return;
    if (isTerminal(job.status)) {
      this.finished.add(job.id);
      if (isFailure(job.status)) this.failed += 1;
      const bar = this.perJob.get(job.id);
      if (bar !== undefined) this.bars.remove(bar);
      this.perJob.delete(job.id);
      this.bars.log(`${name}: ${describeJob(job)}\n`);
      this.refreshOverall();
      return;
    }
    const detail = `${job.stage ?? '-'} ${job.status}`;
    const value = Math.round(job.progress * 100);
    const bar = this.perJob.get(job.id);
    if (bar === undefined) this.perJob.set(job.id, this.bars.create(100, value, { name: pad(name), detail }));
    else bar.update(value, { detail });
  }

  note(line: string): void {
    this.bars.log(`${line}\n`);
  }

  stop(): void {
    this.bars.stop();
  }

  private refreshOverall(): void {
    this.overall.update(this.finished.size, { detail: `${this.finished.size - this.failed} succeeded, ${this.failed} failed` });
  }
}

/** Bar labels share one width so the bars line up; long names keep their end (the file name). */
function pad(name: string, width = 28): string {
  return name.length > width ? `…${name.slice(name.length - width + 1)}` : name.padEnd(width);
}
