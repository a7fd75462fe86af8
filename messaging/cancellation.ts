/**
 * Real cancellation: each running handler registers an AbortController under its job id;
 * a cancel signal from the events exchange aborts them all. Actors also check the job's status
 * in the store before they start, so queued messages of a cancelled job are dropped.
 */
import type { Broker } from './broker.ts';
import { LISTENING_KEY, type EventDemand } from './event-demand.ts';
import { listenToEvents } from './event-listener.ts';
import { CANCEL_PATTERN } from './job-events.ts';
import type { Topology } from './topology.ts';

export class CancellationRegistry {
  private readonly running = new Map<string, Set<AbortController>>();
  private readonly recent = new Set<string>();

  /** Starts listening for cancel signals, and for the gateways' announcements that someone listens to job events. */
  async listen(broker: Broker, names: Topology, demand: EventDemand): Promise<{ stop(): Promise<void> }> {
    return listenToEvents(broker, names, 'control', [CANCEL_PATTERN, LISTENING_KEY], (message) => {
      if (message.fields.routingKey === LISTENING_KEY) demand.heard();
      else this.cancel(message.content.toString('utf8'));
    });
  }

  /** A controller aborted when the job is cancelled; call release() when the work ends. */
  register(jobId: string): { signal: AbortSignal; release(): void } {
    const controller = new AbortController();
    if (this.recent.has(jobId)) controller.abort(new Error('job cancelled'));
    let set = this.running.get(jobId);
    if (!set) this.running.set(jobId, (set = new Set()));
    set.add(controller);
    return {
      signal: controller.signal,
      release: () => {
        set.delete(controller);
        if (set.size === 0) this.running.delete(jobId);
      },
    };
  }

  cancel(jobId: string): void {
    // Remember recent cancels briefly: a message may be picked up between the signal and its store check.
    this.recent.add(jobId);
    setTimeout(() => this.recent.delete(jobId), 60_000).unref();
    for (const controller of this.running.get(jobId) ?? []) controller.abort(new Error('job cancelled'));
  }

  /** Forgets a remembered cancel: called once the store says the job runs again (after retryJob). */
  forget(jobId: string): void {
    this.recent.delete(jobId);
  }

  isCancelled(signal: AbortSignal): boolean {
    return signal.aborted && signal.reason instanceof Error && signal.reason.message === 'job cancelled';
  }
}
