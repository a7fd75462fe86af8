/**
 * Whether anyone listens to job events. A gateway binds its event queue only while it has
 * subscribers, and while it does it announces so on the events exchange (`control.listening`) at
 * once and every ANNOUNCE_INTERVAL_MS. A process publishes a job's events only while an
 * announcement is fresh: under heavy ingestion with nobody watching, the events of every document
 * (its stage starts, progress within a stage, retries, its end) cost every actor and the broker a
 * publish each for nothing (issue 15). A subscriber that arrived between an announcement and its
 * delivery may miss an event; `jobProgress` still sees the end of its job, which it also reads
 * from the store (gateway/events/job-event-hub.ts).
 */

/** The routing key of the announcements, on the events exchange. */
export const LISTENING_KEY = 'control.listening';
/** How often a gateway with subscribers announces them. */
export const ANNOUNCE_INTERVAL_MS = 2000;
/** How long an announcement counts: three missed in a row and job events stop. */
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

  /** True while job events have a listener somewhere. */
  get wanted(): boolean {
    return this.now() < this.until;
  }
}
