/**
 * Real cancellation: each running handler registers an AbortController under its job id;
 * a cancel signal from the events exchange aborts them all. Actors also check the job's status
 * in the store before they start, so queued messages of a cancelled job are dropped. The
 * process's control queue (services/run-actors.ts) feeds it the signals.
 */
export class CancellationRegistry {
  private readonly running = new Map<string, Set<AbortController>>();
  private readonly recent = new Set<string>();

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
