/**
 * `rag delete-collection <name> --yes`: removes a whole collection, every document and chunk of
 * it and its embedder registration (the deleteCollection mutation, which needs an admin key).
 * Without --yes it deletes nothing and says what it would do.
 */
import { Command } from 'commander';
import { connectionOf, type CliContext } from './context.ts';
import { request } from './graphql-client.ts';
import { ExitCode, printJson, printLine } from './output.ts';

const DELETE_COLLECTION = 'mutation DeleteCollection($name: String!) { deleteCollection(name: $name) }';

export function deleteCollectionCommand(context: CliContext): Command {
  return new Command('delete-collection')
    .description('delete a whole collection: every document, chunk and vector of it, and its embedder (admin key)')
    .argument('<name>', 'the collection (`rag collections` lists them)')
    .option('--yes', 'do it: without this nothing is deleted', false)
    .option('--json', 'print machine-readable JSON only', false)
    .action(async (name: string, options: { yes: boolean; json: boolean }, command: Command) => {
      if (!options.yes) {
        context.stderr.write(`rag delete-collection: this deletes every document of "${name}" with its chunks; add --yes to do it\n`);
        process.exitCode = ExitCode.FAILURE;
        return;
      }
      const { deleteCollection: deleted } = await request<{ deleteCollection: number }>(connectionOf(command, context), DELETE_COLLECTION, { name });
      if (options.json) printJson(context, { collection: name, deletedDocuments: deleted });
      else printLine(context, `collection "${name}": ${deleted} ${deleted === 1 ? 'document' : 'documents'} deleted`);
    });
}
