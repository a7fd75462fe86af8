/**
 * Errors steer the runtime: whether a failure retries is a property of the error, recognised
 * wherever it is thrown (as BullMQ's UnrecoverableError and Temporal's `nonRetryable` are).
 *
 * | error                                                     | outcome (FailureKind)                         |
 * | --------------------------------------------------------- | --------------------------------------------- |
 * | CancelledError                                            | `cancelled`: the job is CANCELLED already      |
 * | ContractError (schema/contract-error.ts)                  | `dead-letter`: the message is poison, kept unchanged in the dead-letter queue |
 * | PermanentError, any error with `nonRetryable: true`       | `fail`: the job FAILS at once, nothing retried |
 * | a stack overflow (RangeError: Maximum call stack size)    | `fail`: the input is nested too deeply; retrying cannot help |
 * | RetryableError and every other error                      | `retry` with back-off, then dead-letter        |
 */
import { ContractError } from '../schema/contract-error.ts';

export class RetryableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RetryableError';
  }
}

/** The input can never succeed (unsupported type, HTTP 404, refused address): fail, never retry. */
export class PermanentError extends Error {
  readonly nonRetryable = true;

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
  if (isNonRetryable(error) || isStackOverflow(error)) return 'fail';
  return 'retry';
}

/**
 * Marked non-retryable by its class: a `nonRetryable: true` property lets modules that do not
 * depend on messaging/ (stores, embedders) declare their own permanent errors.
 */
function isNonRetryable(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { nonRetryable?: unknown }).nonRetryable === true;
}

function isStackOverflow(error: unknown): boolean {
  return error instanceof RangeError && /maximum call stack size exceeded/i.test(error.message);
}

/** The message an operator sees; a stack overflow says what it means for the input. */
export function errorMessage(error: unknown): string {
  if (isStackOverflow(error)) return 'the document is nested too deeply to process (stack overflow)';
  return error instanceof Error ? error.message : String(error);
}
