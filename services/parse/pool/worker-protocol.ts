/**
 * The messages between the parse pool and its worker processes (structured clone over IPC), and
 * how a failed parse is described, wherever it ran.
 */
import { PermanentError } from '../../../messaging/errors.ts';
import type { ParsedDocument } from '../parsed-document.ts';

/** Pool → worker: parse these bytes as this type. */
export interface ParseTask {
  readonly id: number;
  readonly mimeType: string;
  readonly content: Uint8Array;
}

/** Worker → pool: the worker finished loading its parsers and takes tasks. */
export interface WorkerReady {
  readonly type: 'ready';
}

/**
 * How a task failed: `permanent` (the input can never parse; retrying cannot help), `memory`
 * (an allocation failed: the pool reports it against its memory limit) or `retryable`.
 */
export type FailureKind = 'permanent' | 'memory' | 'retryable';

/** Worker → pool: the outcome of one task. */
export type TaskOutcome =
  | { readonly type: 'parsed'; readonly id: number; readonly parsed: ParsedDocument }
  | { readonly type: 'failed'; readonly id: number; readonly kind: FailureKind; readonly message: string };

export type WorkerMessage = WorkerReady | TaskOutcome;

/** Stack overflows and failed allocations come from the input's shape: retrying cannot help. */
export function describeFailure(error: unknown): { kind: FailureKind; message: string } {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof PermanentError) return { kind: 'permanent', message };
  if (error instanceof RangeError && /maximum call stack size/i.test(message)) {
    return {
      kind: 'permanent',
      message: 'the document is nested too deeply to parse (the parser overflowed its stack): flatten its nesting (lists, quotes, elements)',
    };
  }
  if (error instanceof RangeError && /allocation failed|invalid (array|typed array|string) length/i.test(message)) {
    return { kind: 'memory', message };
  }
  return { kind: 'retryable', message };
}
