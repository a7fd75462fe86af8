/** The messages between the parse pool and its worker processes (structured clone over IPC). */
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
