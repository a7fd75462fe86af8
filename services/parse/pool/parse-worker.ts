/**
 * Entry point of a parse worker process (forked by ParsePool): parses one document at a time
 * with parseDocument and reports the outcome. The pool, not this process, enforces the time
 * and memory budget, since synchronous parser code cannot police itself.
 */
import { parseDocument } from '../parse-document.ts';
import { describeFailure, type ParseTask, type TaskOutcome, type WorkerMessage } from './worker-protocol.ts';

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
    return { type: 'failed', id: task.id, ...describeFailure(error) };
  }
}
