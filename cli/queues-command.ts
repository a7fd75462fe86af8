/** `rag queues [--watch]`: messages ready and unacked, and consumers, per stage queue. */
import { Command } from 'commander';
import { connectionOf, type CliContext } from './context.ts';
import type { Connection } from './connection.ts';
import { requestOptional } from './optional-feature.ts';
import { ExitCode, formatTable, printLine } from './output.ts';
import { positiveInt } from './parse-options.ts';

/** One row of the `queues` query. */
export interface QueueStats {
  readonly stage: string;
  readonly ready: number;
  readonly unacked: number;
  readonly consumers: number;
}

const QUEUES = 'query Queues { queues { stage ready unacked consumers } }';
/** Clears the screen and moves the cursor home, so the table redraws in place. */
const CLEAR_SCREEN = '\u001b[2J\u001b[H';

export function queuesCommand(context: CliContext): Command {
  return new Command('queues')
    .description('show the depth of each stage queue; with --watch redraw it live (Ctrl-C ends)')
    .option('-w, --watch', 'refresh until Ctrl-C', false)
    .option('--interval <seconds>', 'with --watch: seconds between refreshes', positiveInt('--interval'), 2)
    .option('--json', 'print machine-readable JSON only (with --watch: one snapshot per line)', false)
    .action(async (options: { watch: boolean; interval: number; json: boolean }, command: Command) => {
      const connection = connectionOf(command, context);
      if (!options.watch) {
        show(context, await fetchQueues(connection), options.json, false);
        return;
      }
      const interrupted = context.interrupted();
      while (!interrupted.aborted) {
        show(context, await fetchQueues(connection), options.json, true);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, options.interval * 1000);
          interrupted.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
        });
      }
      // Ending a live view with Ctrl-C is its normal end.
      process.exitCode = ExitCode.OK;
    });
}

async function fetchQueues(connection: Connection): Promise<QueueStats[]> {
  const { queues } = await requestOptional<{ queues: QueueStats[] }>(connection, 'queues', 'queue statistics', QUEUES);
  return queues;
}

function show(context: CliContext, queues: readonly QueueStats[], json: boolean, live: boolean): void {
  if (json) {
    context.stdout.write(live ? `${JSON.stringify({ at: new Date().toISOString(), queues })}\n` : `${JSON.stringify(queues, null, 2)}\n`);
    return;
  }
  const table = formatTable(['STAGE', 'READY', 'UNACKED', 'CONSUMERS'], queues.map((queue) => [queue.stage, String(queue.ready), String(queue.unacked), String(queue.consumers)]));
  if (live && context.stdout.isTTY === true) context.stdout.write(CLEAR_SCREEN);
  if (live) printLine(context, new Date().toLocaleTimeString());
  printLine(context, table);
  if (live && context.stdout.isTTY !== true) printLine(context);
}

