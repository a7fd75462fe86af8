/**
 * The state of the jobs one `rag ingest --watch` started. Events and one-off reads race (an
 * event can even arrive before the mutation that created its job has answered), so states are
 * kept per job id as they come and shown once the job's file is known.
 */
import { isFailure, isTerminal, supersedes, type JobState } from './job-state.ts';
import type { ProgressView } from './progress-view.ts';

/** One accepted document and its latest state. */
export interface TrackedJob {
  readonly name: string;
  readonly state: JobState;
}

export class IngestTracker {
  private readonly states = new Map<string, JobState>();
  private readonly names = new Map<string, string>();
  /** Accepted jobs not yet in a terminal state: checked after every event, so kept, not recomputed. */
  private readonly open = new Set<string>();
  private acceptingUnknown = true;

  constructor(private readonly view: ProgressView) {}

  /** A job was accepted for the file `name`. */
  accept(name: string, job: JobState): void {
    this.names.set(job.id, name);
    if (!isTerminal(this.states.get(job.id)?.status ?? job.status)) this.open.add(job.id);
    this.apply(job);
    this.view.setTotal(this.names.size);
    const state = this.states.get(job.id);
    if (state !== undefined) this.view.update(name, state);
  }

  /** Every job has been accepted: events of other jobs are ignored from now on. */
  sendingDone(): void {
    this.acceptingUnknown = false;
    for (const id of this.states.keys()) if (!this.names.has(id)) this.states.delete(id);
  }

  /** A state from an event or a read; shown if it is newer than the one held. */
  apply(job: JobState): void {
    const name = this.names.get(job.id);
    if (name === undefined && !this.acceptingUnknown) return;
    if (!supersedes(job, this.states.get(job.id))) return;
    this.states.set(job.id, job);
    if (isTerminal(job.status)) this.open.delete(job.id);
    if (name !== undefined) this.view.update(name, job);
  }

  get accepted(): number {
    return this.names.size;
  }

  /** Accepted jobs, in the order they were accepted. */
  jobs(): TrackedJob[] {
    return [...this.names].map(([id, name]) => ({ name, state: this.states.get(id)! }));
  }

  allFinished(): boolean {
    return this.open.size === 0;
  }

  unfinished(): TrackedJob[] {
    return this.jobs().filter((job) => !isTerminal(job.state.status));
  }

  anyFailed(): boolean {
    return this.jobs().some((job) => isFailure(job.state.status));
  }
}
