/**
 * An ingest the gateway refused with BACKPRESSURE and nothing done (the backlog is full, or the
 * gateway is too busy to start it in time) is sent again after the wait the gateway asked for,
 * as a well-behaved bulk loader does, saying so on stderr. Only a refusal that names no accepted
 * job is sent again: sending one that partly went through would ingest those documents twice.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { GraphQLRequestError, type ApiError } from './graphql-client.ts';

/** How long one batch keeps being refused before the command gives up with the refusal. */
const GIVE_UP_AFTER_MS = 10 * 60_000;
/** A longer hint is cut to this: sending again sooner costs one refused request, and the user sees the command is alive. */
const LONGEST_WAIT_S = 30;

/** The wait the gateway asked for, in seconds, when `error` refused the whole request; else null. */
export function retryAfter(error: unknown): number | null {
  return error instanceof GraphQLRequestError ? nothingDoneWait(error.errors) : null;
}

/**
 * The wait in seconds (1 to LONGEST_WAIT_S) when every one of a response's errors is BACKPRESSURE
 * naming no accepted job, so the request may be sent again as it was; else null.
 */
export function nothingDoneWait(errors: readonly ApiError[]): number | null {
  if (errors.length === 0) return null;
  const nothingDone = errors.every((refusal) => refusal.code === 'BACKPRESSURE' && refusal.acceptedJobIds?.length === 0);
  if (!nothingDone) return null;
  return Math.min(LONGEST_WAIT_S, Math.max(1, ...errors.map((refusal) => refusal.retryAfterSeconds ?? 1)));
}

/** Runs `send` until it is not refused with nothing done, giving up after ten minutes or when `signal` aborts. */
export async function sendWhenAccepted<T>(send: () => Promise<T>, report: (line: string) => void, signal?: AbortSignal): Promise<T> {
  const deadline = Date.now() + GIVE_UP_AFTER_MS;
  for (;;) {
    try {
      return await send();
    } catch (error) {
      const seconds = retryAfter(error);
      if (seconds === null || Date.now() + seconds * 1000 > deadline || signal?.aborted) throw error;
      report(`the gateway is busy and did nothing (${(error as Error).message}); sending again in ${seconds} s`);
      await sleep(seconds * 1000, undefined, signal ? { signal } : undefined).catch(() => {});
      if (signal?.aborted) throw error;
    }
  }
}
