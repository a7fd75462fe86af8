/**
 * Entry point of the `rag` command (run through cli/rag.js). The only file of the CLI that reads
 * process.env, process.argv and the standard streams; commands get them through CliContext.
 */
import { Command, CommanderError } from 'commander';
import { DEFAULT_URL, UsageError } from './connection.ts';
import type { CliContext } from './context.ts';
import { collectionsCommand } from './collections-command.ts';
import { dlqCommand } from './dlq-command.ts';
import { deleteCollectionCommand } from './delete-collection-command.ts';
import { deleteCommand } from './delete-command.ts';
import { documentsCommand } from './documents-command.ts';
import { GraphQLRequestError } from './graphql-client.ts';
import { ingestCommand } from './ingest-command.ts';
import { jobCommand } from './job-command.ts';
import { jobsCommand } from './jobs-command.ts';
import { UnsupportedError } from './optional-feature.ts';
import { ExitCode } from './output.ts';
import { queuesCommand } from './queues-command.ts';
import { searchCommand } from './search-command.ts';

let interruption: AbortController | undefined;
const context: CliContext = {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
  interrupted() {
    if (interruption === undefined) {
      const controller = new AbortController();
      interruption = controller;
      process.once('SIGINT', () => {
        controller.abort();
        // A second Ctrl-C while the first is being handled (say, cancelling jobs) ends at once.
        process.once('SIGINT', () => process.exit(ExitCode.INTERRUPTED));
      });
    }
    return interruption.signal;
  },
};

// A reader that stops early (`rag search … | head -3`) closes the pipe: stop quietly, as Unix tools do.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(ExitCode.OK);
  throw error;
});

const program = new Command('rag')
  .description('Ingest documents into the RAG system, search them, and watch the jobs.')
  .option('--url <url>', `GraphQL endpoint (env RAG_URL, default ${DEFAULT_URL})`)
  .option('--api-key <key>', 'API key, sent as "Authorization: Bearer <key>" (env RAG_API_KEY)')
  .showHelpAfterError('(add --help for usage)')
  .addHelpText('after', `
Examples:
  rag ingest ./docs -c docs --watch
  rag ingest 'notes/**/*.md' https://example.org/page.html -c notes --priority HIGH
  rag ingest ./docs -c docs --prune        # again after edits: changed files replaced, removed ones deleted
  rag search "how do I feed the starter" -c docs -k 3
  rag documents -c docs --prefix "file:$PWD/docs/"
  rag delete ./docs/old.md -c docs
  rag delete-collection old-docs --yes    # every document of it (admin key)
  rag jobs --collection docs --status FAILED
  rag job <id> --watch

Exit codes: 0 ok, 1 a job or request failed, 2 the gateway lacks the feature, 130 Ctrl-C.`)
  .exitOverride()
  .addCommand(ingestCommand(context))
  .addCommand(searchCommand(context))
  .addCommand(documentsCommand(context))
  .addCommand(deleteCommand(context))
  .addCommand(deleteCollectionCommand(context))
  .addCommand(collectionsCommand(context))
  .addCommand(jobsCommand(context))
  .addCommand(jobCommand(context))
  .addCommand(queuesCommand(context))
  .addCommand(dlqCommand(context));
// Errors end in exitCodeFor, with the CLI's own exit codes, for every command at every depth.
const withExitOverride = (command: Command): void => {
  command.exitOverride();
  command.commands.forEach(withExitOverride);
};
withExitOverride(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  process.exitCode = exitCodeFor(error);
}
// The interrupt path may leave a socket closing or a request in flight: do not wait for them.
if (process.exitCode === ExitCode.INTERRUPTED) process.exit(ExitCode.INTERRUPTED);

function exitCodeFor(error: unknown): number {
  if (error instanceof CommanderError) {
    // Commander has already printed the message (or the help / version it was asked for).
    return error.exitCode === 0 ? ExitCode.OK : ExitCode.FAILURE;
  }
  if (error instanceof GraphQLRequestError) {
    for (const apiError of error.errors) process.stderr.write(`error [${apiError.code}]: ${apiError.message}\n`);
    return ExitCode.FAILURE;
  }
  if (error instanceof UnsupportedError) {
    process.stderr.write(`error: ${error.message}\n`);
    return ExitCode.UNSUPPORTED;
  }
  if (error instanceof UsageError) {
    process.stderr.write(`error: ${error.message}\n`);
    return ExitCode.FAILURE;
  }
  process.stderr.write(`error: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  return ExitCode.FAILURE;
}
