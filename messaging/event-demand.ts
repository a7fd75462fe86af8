/**
 * Whether anyone listens to job progress events. A gateway binds its event queue only while it has
 * subscribers, and while it does it announces so on the events exchange (`control.listening`) at
 * once and every ANNOUNCE_INTERVAL_MS. A process publishes a job's progress events only while an
 * announcement is fresh: under heavy ingestion with nobody watching, the dozen events per document
 * (one per stage start, progress within a stage, retries) cost every actor and the broker a
 * publish each for nothing (issue 15). Terminal events always go out: a subscriber that arrived
 * between an announcement and its delivery may miss a progress step, never the end of its job.
 */

/** The routing key of the announcements, on the events exchange. */
export const LISTENING_KEY = 'control.listening';
/** How often a gateway with subscribers announces them. */
export const ANNOUNCE_INTERVAL_MS = 2000;
/** How long an announcement counts: three missed in a row and progress events stop. */
export const LISTENING_TTL_MS = 3 * ANNOUNCE_INTERVAL_MS;

export class EventDemand {
  private until: number;

  /** Wanted at first: a gateway with subscribers may be between two announcements. */
  constructor(private readonly now: () => number = Date.now) {
    this.until = now() + LISTENING_TTL_MS;
  }

  /** An announcement arrived. */
  heard(): void {
    this.until = this.now() + LISTENING_TTL_MS;
  }

  /** True while progress events have a listener somewhere. */
  get wanted(): boolean {
    return this.now() < this.until;
  }
}
