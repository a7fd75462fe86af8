import type { StageSignal } from './stage-signal.ts';

/**
 * Real cancellation: each running handler registers its StageSignal under its job id;
 * a cancel signal from the events exchange aborts them all. Actors also check the job's status
 * in the store before they start, so queued messages of a cancelled job are dropped. The
 * process's control queue (services/run-actors.ts) feeds it the signals.
 */
export class CancellationRegistry {
  private readonly running = new Map<string, Set<StageSignal>>();
  private readonly recent = new Set<string>();

  /** Aborts `stage` (cause "cancelled") when the job is cancelled; call release() when the work ends. */
  register(jobId: string, stage: StageSignal): { release(): void } {
    if (this.recent.has(jobId)) stage.abort('cancelled', cancelledReason());
    let set = this.running.get(jobId);
    if (!set) this.running.set(jobId, (set = new Set()));
    set.add(stage);
    return {
      release: () => {
        set.delete(stage);
        if (set.size === 0) this.running.delete(jobId);
      },
    };
  }

  cancel(jobId: string): void {
    // Remember recent cancels briefly: a message may be picked up between the signal and its store check.
    this.recent.add(jobId);
    setTimeout(() => this.recent.delete(jobId), 60_000).unref();
    for (const stage of this.running.get(jobId) ?? []) stage.abort('cancelled', cancelledReason());
  }

  /** Forgets a remembered cancel: called once the store says the job runs again (after retryJob). */
  forget(jobId: string): void {
    this.recent.delete(jobId);
  }
}

function cancelledReason(): Error {
  return new Error('job cancelled');
}
