/**
 * Retrying finished jobs and replaying dead letters (issue 3). A retried job resumes at the stage
 * it stopped in, with its attempt count reset:
 *
 * - DEAD_LETTERED: its message is still in the stage's dead-letter queue; it is moved back to the
 *   stage queue (publish with confirm, then ack out of the DLQ).
 * - FAILED, CANCELLED (and DEAD_LETTERED whose DLQ message was purged): the actor runtime kept the
 *   stage's input message as the job's resume point in the store when the job stopped
 *   (Store.saveResumePoint); it is published to that stage again.
 *
 * The job is put back to QUEUED before its message is published (an actor seeing a terminal job
 * would drop the message); if the publish fails, the job is restored and the caller gets
 * UNAVAILABLE or BACKPRESSURE.
 */
import { STAGE_PROGRESS, type Job, type JobStatus, type Stage } from '../../schema/domain.ts';
import type { Logger } from '../../observability/logger.ts';
import type { Broker } from '../../messaging/broker.ts';
import type { DeadLetter, DeadLetterQueues } from '../../messaging/dead-letter-queues.ts';
import type { JobEventPublisher } from '../../messaging/job-events.ts';
import { publishToStage } from '../../messaging/stage-publish.ts';
import type { Topology } from '../../messaging/topology.ts';
import type { ResumePoint, Store } from '../../stores/store.ts';
import { ErrorCode, apiError, brokerApiError } from '../errors.ts';

/** Statuses a job can be retried from. */
export const RETRYABLE_STATUSES: readonly JobStatus[] = ['FAILED', 'DEAD_LETTERED', 'CANCELLED'];

const PAGE = 100;

export class JobRetryService {
  constructor(
    private readonly store: Store,
    private readonly broker: Broker,
    private readonly names: Topology,
    private readonly deadLetters: DeadLetterQueues,
    private readonly events: JobEventPublisher,
    private readonly logger: Logger,
  ) {}

  /** Replays dead letters (see DeadLetterQueues.replay); their jobs go back to QUEUED. Returns how many moved. */
  async replayDeadLetters(filter: { stage?: Stage; jobIds?: readonly string[]; limit?: number }): Promise<number> {
    try {
      const moved = await this.deadLetters.replay(filter, async (letter) => { await this.requeueFromDeadLetter(letter); });
      return moved.length;
    } catch (error) {
      throw toApiError(error);
    }
  }

  async retryJob(id: string): Promise<Job> {
    const job = await this.store.getJob(id);
    if (!job) throw apiError(ErrorCode.NOT_FOUND, `job ${id} does not exist`);
    if (!RETRYABLE_STATUSES.includes(job.status)) {
      throw apiError(ErrorCode.CONFLICT, `job ${id} is ${job.status}; only ${RETRYABLE_STATUSES.join(', ')} jobs can be retried`);
    }
    if (job.status === 'DEAD_LETTERED') {
      // The job as it was requeued (an actor may take it at once): what the caller asked for.
      let queued: Job | null = null;
      const moved = await this.deadLetters.replay({ jobIds: [id], limit: 1 }, async (letter) => { queued = await this.requeueFromDeadLetter(letter); })
        .catch((error: unknown) => { throw toApiError(error); });
      if (moved.length === 1) return queued ?? job;
    }
    return this.resumeFromStore(job);
  }

  /** Retries every retryable job of the collection (and status); returns how many were resumed. */
  async retryJobs(collection: string | undefined, status: JobStatus | undefined): Promise<number> {
    if (status && !RETRYABLE_STATUSES.includes(status)) {
      throw apiError(ErrorCode.BAD_USER_INPUT, `status: only ${RETRYABLE_STATUSES.join(', ')} jobs can be retried, got ${status}`, { field: 'status' });
    }
    const jobs: Job[] = [];
    for (const wanted of status ? [status] : RETRYABLE_STATUSES) jobs.push(...await this.allJobs(collection, wanted));
    // One pass over the dead-letter queues for every dead-lettered job, then resume points for the rest.
    const dead = jobs.filter((job) => job.status === 'DEAD_LETTERED').map((job) => job.id);
    let count = dead.length > 0 ? await this.replayDeadLetters({ jobIds: dead }) : 0;
    for (const job of jobs) {
      const current = await this.store.getJob(job.id);
      if (!current || !RETRYABLE_STATUSES.includes(current.status)) continue; // replayed above, or changed meanwhile
      if (!await this.store.getResumePoint(job.id)) continue;
      await this.resumeFromStore(current);
      count += 1;
    }
    return count;
  }

  private async allJobs(collection: string | undefined, status: JobStatus): Promise<Job[]> {
    const jobs: Job[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await this.store.listJobs({ first: PAGE, status, ...(collection ? { collection } : {}), ...(after ? { after } : {}) });
      jobs.push(...page.jobs.map((entry) => entry.job));
      if (!page.hasNextPage) return jobs;
      after = page.jobs.at(-1)?.cursor;
    }
  }

  private async resumeFromStore(job: Job): Promise<Job> {
    const stored = await this.store.getResumePoint(job.id);
    // A job resumes its own document only: a point naming another one is not replayed (issue 12).
    const point = stored && resumesOwnDocument(stored, job) ? stored : null;
    if (!point) {
      throw apiError(ErrorCode.CONFLICT,
        `job ${job.id} has no saved stage input to resume from (it stopped before any stage took it): ingest the document again`);
    }
    const queued = await this.requeue(job.id, point.stage, true);
    try {
      await publishToStage(this.broker, this.names, { stage: point.stage, jobId: job.id, priority: job.priority, body: point.message });
    } catch (error) {
      // Not resumed after all: put the job back as it was, so it can be retried later.
      await this.store.updateJob(job.id, { status: job.status, stage: job.stage, attempts: job.attempts, error: job.error, progress: job.progress, force: true });
      throw toApiError(error);
    }
    this.logger.info('job resumed', { jobId: job.id, stage: point.stage });
    if (queued) await this.events.publish(queued, `retrying from ${point.stage}`);
    return queued ?? job;
  }

  /** Before a dead letter is replayed: its job (if any, and finished without success) goes back to QUEUED. */
  private async requeueFromDeadLetter(letter: DeadLetter): Promise<Job | null> {
    if (!letter.jobId) return null;
    const queued = await this.requeue(letter.jobId, letter.stage, false);
    if (queued) await this.events.publish(queued, `replaying ${letter.stage} from its dead-letter queue`);
    return queued;
  }

  /** QUEUED at `stage` with attempts reset; only from a retryable status (`any`) or DEAD_LETTERED. */
  private async requeue(jobId: string, stage: Stage, any: boolean): Promise<Job | null> {
    const job = await this.store.getJob(jobId);
    if (!job) return null;
    const allowed = any ? RETRYABLE_STATUSES.includes(job.status) : job.status === 'DEAD_LETTERED' || job.status === 'FAILED';
    if (!allowed) return job;
    return this.store.updateJob(jobId, {
      status: 'QUEUED', stage, attempts: 0, error: null, progress: STAGE_PROGRESS[stage][0], force: true,
    });
  }
}

/** True when the resume point's message is about this job and its own (collection, documentId). */
function resumesOwnDocument(point: ResumePoint, job: Job): boolean {
  let ref: { jobId?: unknown; collection?: unknown; documentId?: unknown } | undefined;
  try {
    ref = (JSON.parse(point.message) as { job?: typeof ref } | null)?.job;
  } catch {
    return false;
  }
  return ref?.jobId === job.id && ref.collection === job.collection && ref.documentId === job.documentId;
}

function toApiError(error: unknown): Error {
  return brokerApiError(error, 'nothing was changed') ?? (error instanceof Error ? error : new Error(String(error)));
}
