/** `rag dlq list | replay`: inspect dead letters and move them back to work. */
import { STAGES } from '../schema/domain.ts';
import { Command, Option } from 'commander';
import { connectionOf, type CliContext } from './context.ts';
import { leafFieldsOf, requestOptional, UnsupportedError } from './optional-feature.ts';
import { formatTable, oneLine, printJson, printLine } from './output.ts';
import { positiveInt } from './parse-options.ts';

const WHAT = 'dead letters';
/** Used when the gateway does not answer introspection: the fields issue 3 names. */
const FALLBACK_FIELDS = ['jobId', 'stage', 'error', 'attempts'];

export function dlqCommand(context: CliContext): Command {
  const dlq = new Command('dlq').description('dead-letter queues: list what failed for good, replay it');

  dlq.command('list')
    .description('list dead letters, optionally of one stage')
    .addOption(new Option('-s, --stage <stage>', 'only this stage').choices(STAGES))
    .option('-n, --first <n>', 'how many', positiveInt('--first'), 20)
    .option('--json', 'print machine-readable JSON only', false)
    .action(async (options: { stage?: string; first: number; json: boolean }, command: Command) => {
      const connection = connectionOf(command, context);
      const fields = await leafFieldsOf(connection, 'Query', 'deadLetters');
      if (fields === undefined) throw new UnsupportedError(`this gateway does not expose ${WHAT} (its API has no \`deadLetters\` field); upgrade the gateway at ${connection.url}`);
      const selection = fields === null || fields.length === 0 ? FALLBACK_FIELDS : fields;
      const { deadLetters } = await requestOptional<{ deadLetters: Record<string, unknown>[] }>(
        connection, 'deadLetters', WHAT,
        `query DeadLetters($stage: Stage, $first: Int) { deadLetters(stage: $stage, first: $first) { ${selection.join(' ')} } }`,
        { stage: options.stage ?? null, first: options.first },
      );
      if (options.json) {
        printJson(context, deadLetters);
      } else if (deadLetters.length === 0) {
        printLine(context, options.stage ? `no dead letters in ${options.stage}` : 'no dead letters');
      } else {
        printLine(context, formatTable(selection.map((field) => field.toUpperCase()), deadLetters.map((letter) =>
          selection.map((field) => oneLine(letter[field] === null || letter[field] === undefined ? '-' : String(letter[field]), 80)))));
      }
    });

  dlq.command('replay')
    .description('move dead letters back to their stage queue (all, of one stage, or of some jobs)')
    .addOption(new Option('-s, --stage <stage>', 'only this stage').choices(STAGES))
    .option('-j, --job <id...>', 'only these jobs')
    .option('-l, --limit <n>', 'at most this many', positiveInt('--limit'))
    .option('--json', 'print machine-readable JSON only', false)
    .action(async (options: { stage?: string; job?: string[]; limit?: number; json: boolean }, command: Command) => {
      const connection = connectionOf(command, context);
      const { replayDeadLetters } = await requestOptional<{ replayDeadLetters: number }>(
        connection, 'replayDeadLetters', WHAT,
        'mutation Replay($stage: Stage, $jobIds: [ID!], $limit: Int) { replayDeadLetters(stage: $stage, jobIds: $jobIds, limit: $limit) }',
        { stage: options.stage ?? null, jobIds: options.job ?? null, limit: options.limit ?? null },
      );
      if (options.json) printJson(context, { replayed: replayDeadLetters });
      else printLine(context, `replayed ${replayDeadLetters} dead letters`);
    });
  return dlq;
}
