/**
 * The stall watchdog: every job reaches a terminal state in bounded time. A QUEUED or RUNNING
 * job whose record has not changed for `stallTimeoutMs` is marked FAILED with
 * "stalled in stage X"; a cancel signal aborts any handler still working on it (its message then
 * becomes the job's resume point, so retryJob resumes there). Runs in the gateway; several
 * replicas may run it at once (a terminal job is never overwritten, and each job is re-read
 * before it is failed).
 */
import type { Job } from '../schema/domain.ts';
import type { Logger } from '../observability/logger.ts';
import type { Store } from '../stores/store.ts';
import type { JobEventPublisher } from '../messaging/job-events.ts';

/** Options of the stall watchdog (defaults in config/). */
export interface StallWatchdogOptions {
  /** A job unchanged for this long is stalled (STALL_TIMEOUT_MS): above any stage deadline and normal queue wait. */
  readonly stallTimeoutMs: number;
  /** How often to look (STALL_CHECK_INTERVAL_MS). */
  readonly intervalMs: number;
}

/** Jobs failed per sweep at most; the next sweep takes the rest. */
const SWEEP_LIMIT = 500;

export class StallWatchdog {
  private timer: NodeJS.Timeout | null = null;
  private sweeping: Promise<number> | null = null;
  private readonly stallTimeoutMs: number;
  private readonly intervalMs: number;

  constructor(private readonly store: Store, private readonly events: JobEventPublisher, private readonly logger: Logger, options: StallWatchdogOptions) {
    this.stallTimeoutMs = options.stallTimeoutMs;
    this.intervalMs = options.intervalMs;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => { void this.sweep().catch((error) => this.logger.warn('stall sweep failed', { error: String(error) })); }, this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.sweeping?.catch(() => {});
  }

  /** Fails every stalled job now; returns how many. One sweep at a time. */
  sweep(): Promise<number> {
    this.sweeping ??= this.failStalled().finally(() => { this.sweeping = null; });
    return this.sweeping;
  }

  private async failStalled(): Promise<number> {
    const stalled = await this.store.listStalledJobs(new Date(Date.now() - this.stallTimeoutMs), SWEEP_LIMIT);
    let count = 0;
    for (const job of stalled) {
      const current = await this.store.getJob(job.id);
      if (!current || current.seq !== job.seq) continue; // it moved since the query
      const failed = await this.store.updateJob(job.id, { status: 'FAILED', error: stallMessage(current, this.stallTimeoutMs) });
      if (!failed || failed.status !== 'FAILED') continue;
      count += 1;
      this.logger.warn('job stalled; marked FAILED', { jobId: job.id, stage: current.stage, status: current.status });
      await this.events.cancel(failed);
      await this.events.publish(failed, failed.error);
    }
    return count;
  }
}

function stallMessage(job: Job, stallTimeoutMs: number): string {
  // A job records the stage its first message went to when it is accepted; one without a stage
  // was accepted before jobs did, when every first message went to FETCH.
  const stage = job.stage ?? 'FETCH';
  return `stalled in stage ${stage}: no progress for ${Math.round(stallTimeoutMs / 1000)} s while ${job.status} ` +
    '(check that the actors of this stage run; retryJob resumes it)';
}
