/** `rag jobs`: recent jobs, newest first, optionally of one collection or status. */
import { JOB_STATUSES } from '../schema/domain.ts';
import { Command, Option } from 'commander';
import { connectionOf, type CliContext } from './context.ts';
import { request } from './graphql-client.ts';
import { JOB_SELECTION, percent, type JobState } from './job-state.ts';
import { formatTable, oneLine, printJson, printLine } from './output.ts';
import { positiveInt } from './parse-options.ts';

const JOBS = `query Jobs($collection: String, $status: JobStatus, $first: Int) {
  jobs(collection: $collection, status: $status, first: $first) { edges { node { ${JOB_SELECTION} } } pageInfo { hasNextPage } }
}`;

export function jobsCommand(context: CliContext): Command {
  return new Command('jobs')
    .description('list recent jobs, newest first')
    .addOption(new Option('-s, --status <status>', 'only jobs in this status').choices(JOB_STATUSES))
    .option('-c, --collection <name>', 'only jobs of this collection')
    .option('-n, --first <n>', 'how many (1..100)', positiveInt('--first'), 20)
    .option('--json', 'print machine-readable JSON only', false)
    .action(async (options: { status?: string; collection?: string; first: number; json: boolean }, command: Command) => {
      const { jobs } = await request<{ jobs: { edges: { node: JobState }[]; pageInfo: { hasNextPage: boolean } } }>(
        connectionOf(command, context), JOBS,
        { collection: options.collection ?? null, status: options.status ?? null, first: options.first },
      );
      const nodes = jobs.edges.map((edge) => edge.node);
      if (options.json) {
        printJson(context, nodes);
        return;
      }
      if (nodes.length === 0) {
        printLine(context, 'no jobs');
        return;
      }
      printLine(context, formatTable(
        ['ID', 'COLLECTION', 'STATUS', 'STAGE', 'PROGRESS', 'CHUNKS', 'CREATED', 'ERROR'],
        nodes.map((job) => [
          job.id, job.collection, job.status, job.stage ?? '-', percent(job.progress),
          job.chunkCount === null ? '-' : String(job.chunkCount), job.createdAt, oneLine(job.error ?? '', 60),
        ]),
      ));
      if (jobs.pageInfo.hasNextPage) printLine(context, `… more; show more with --first ${Math.min(options.first * 2, 100)}`);
    });
}
