/**
 * Entry point of a parse worker process (forked by ParsePool): parses one document at a time
 * with parseDocument and reports the outcome. The pool, not this process, enforces the time
 * and memory budget, since synchronous parser code cannot police itself.
 */
import { PermanentError } from '../../../messaging/errors.ts';
import { parseDocument } from '../parse-document.ts';
import type { FailureKind, ParseTask, TaskOutcome, WorkerMessage } from './worker-protocol.ts';

const send = (message: WorkerMessage) => process.send?.(message);

process.on('message', (task: ParseTask) => {
  void run(task).then(send);
});
// The pool went away (its process ended or closed us): nothing more will come.
process.on('disconnect', () => process.exit(0));
send({ type: 'ready' });

async function run(task: ParseTask): Promise<TaskOutcome> {
  try {
    return { type: 'parsed', id: task.id, parsed: await parseDocument(task.content, task.mimeType) };
  } catch (error) {
    return { type: 'failed', id: task.id, ...describe(error) };
  }
}

/** Stack overflows and failed allocations come from the input's shape: retrying cannot help. */
function describe(error: unknown): { kind: FailureKind; message: string } {
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
