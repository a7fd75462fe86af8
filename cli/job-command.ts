/** `rag job <id> [--watch]`: one job's state, or its live progress until it ends. */
import { Command } from 'commander';
import { ErrorCode } from '../schema/error-code.ts';
import { connectionOf, type CliContext } from './context.ts';
import { GraphQLRequestError, request, subscribe, subscriptionClient } from './graphql-client.ts';
import { isFailure, JOB_EVENT_SELECTION, JOB_SELECTION, type JobEventState, type JobState } from './job-state.ts';
import { ExitCode, formatTable, printJson, printLine } from './output.ts';
import { createProgressView } from './progress-view.ts';

const JOB = `query Job($id: ID!) { job(id: $id) { ${JOB_SELECTION} } }`;
const JOB_PROGRESS = `subscription JobProgress($id: ID!) { jobProgress(id: $id) { ${JOB_EVENT_SELECTION} } }`;

export function jobCommand(context: CliContext): Command {
  return new Command('job')
    .description('show one job; with --watch follow it until it ends (exit 1 unless it succeeds)')
    .argument('<id>', 'job id')
    .option('-w, --watch', 'follow the job live (jobProgress subscription)', false)
    .option('--json', 'print machine-readable JSON only (with --watch: one event per line)', false)
    .action(async (id: string, options: { watch: boolean; json: boolean }, command: Command) => {
      const connection = connectionOf(command, context);
      if (!options.watch) {
        const { job } = await request<{ job: JobState | null }>(connection, JOB, { id });
        if (job === null) throw new GraphQLRequestError([{ code: ErrorCode.NOT_FOUND, message: `job ${id} does not exist` }]);
        if (options.json) printJson(context, job);
        else printLine(context, formatTable(['FIELD', 'VALUE'], Object.entries(job).map(([key, value]) => [key, value === null ? '-' : String(value)])));
        return;
      }
      process.exitCode = await watchJob(id, options.json, connection, context);
    });
}

async function watchJob(id: string, json: boolean, connection: Parameters<typeof request>[0], context: CliContext): Promise<number> {
  const interrupted = context.interrupted();
  const view = createProgressView(context, { json });
  view.setTotal(1);
  const client = subscriptionClient(connection);
  let last: JobState | undefined;
  try {
    const outcome = await new Promise<'done' | 'interrupted'>((resolve, reject) => {
      interrupted.addEventListener('abort', () => resolve('interrupted'), { once: true });
      subscribe<{ jobProgress: JobEventState }>(client, JOB_PROGRESS, { id }, {
        next: ({ jobProgress: event }) => {
          last = event.job;
          if (json) context.stdout.write(`${JSON.stringify(event)}\n`);
          view.update(id, event.job);
        },
        error: reject,
        complete: () => resolve('done'),
      });
    });
    view.stop();
    if (outcome === 'interrupted') {
      context.stderr.write(`interrupted: stopped watching; job ${id} keeps running\n`);
      return ExitCode.INTERRUPTED;
    }
    if (last === undefined) return ExitCode.FAILURE;
    return isFailure(last.status) ? ExitCode.FAILURE : ExitCode.OK;
  } finally {
    view.stop();
    await client.dispose();
  }
}
