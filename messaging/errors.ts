/**
 * Errors steer the runtime: whether a failure retries is a property of the error.
 *
 * - RetryableError (and any unexpected error): retried with back-off, then dead-lettered.
 * - PermanentError: the input can never succeed (unsupported type, HTTP 404, refused address):
 *   the job FAILS at once with the message; nothing is retried.
 * - ContractError (schema/contract-error.ts): the message itself is malformed (poison): it goes
 *   to the stage's dead-letter queue unchanged and the job, if known, becomes DEAD_LETTERED.
 */
import { ContractError } from '../schema/contract-error.ts';

export class RetryableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RetryableError';
  }
}

export class PermanentError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PermanentError';
  }
}

/** Raised inside a handler when its AbortSignal fired because the job was cancelled. */
export class CancelledError extends Error {
  constructor(message = 'job cancelled') {
    super(message);
    this.name = 'CancelledError';
  }
}

export type FailureKind = 'retry' | 'fail' | 'dead-letter' | 'cancelled';

/** How the runtime treats an error thrown by a handler. */
export function classify(error: unknown): FailureKind {
  if (error instanceof CancelledError) return 'cancelled';
  if (error instanceof ContractError) return 'dead-letter';
  if (error instanceof PermanentError) return 'fail';
  return 'retry';
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
