/**
 * `rag delete <files | ids…> -c <collection>`: removes documents with their chunks. A file
 * argument names the document `rag ingest` made of it (file:<absolute path>); anything else is a
 * document id as it is (a URL's, or one given with documentId).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import type { Connection } from './connection.ts';
import { connectionOf, type CliContext } from './context.ts';
import { request } from './graphql-client.ts';
import { ExitCode, printJson, printLine } from './output.ts';
import { fileDocumentId } from './prepare-input.ts';

const DELETE = 'mutation Delete($collection: String!, $id: ID!) { deleteDocument(collection: $collection, id: $id) }';

/** Deletes one document of `collection`; false when there was none. */
export async function deleteDocument(connection: Connection, collection: string, id: string): Promise<boolean> {
  return (await request<{ deleteDocument: boolean }>(connection, DELETE, { collection, id })).deleteDocument;
}

export function deleteCommand(context: CliContext): Command {
  return new Command('delete')
    .description('delete documents with their chunks: files (as `rag ingest` named them) or document ids')
    .argument('<documents...>', 'files, or document ids (`rag documents -c <collection>` lists them)')
    .requiredOption('-c, --collection <name>', 'collection to delete from')
    .option('--json', 'print machine-readable JSON only', false)
    .action(async (args: string[], options: { collection: string; json: boolean }, command: Command) => {
      const connection = connectionOf(command, context);
      const results: { argument: string; documentId: string; deleted: boolean }[] = [];
      for (const argument of args) {
        const documentId = looksLikeFile(argument, context.cwd) ? fileDocumentId(path.resolve(context.cwd, argument)) : argument;
        results.push({ argument, documentId, deleted: await deleteDocument(connection, options.collection, documentId) });
      }
      if (options.json) printJson(context, results);
      else for (const result of results) printLine(context, `${result.argument}: ${result.deleted ? 'deleted' : `no such document in "${options.collection}" (id ${result.documentId}; a removed file is named ./path or /path)`}`);
      process.exitCode = results.every((result) => result.deleted) ? ExitCode.OK : ExitCode.FAILURE;
    });
}

/**
 * A file there now, or a path written as one (./x, ../x, /x) for a file since removed: named as
 * `rag ingest` named it. Anything else is a document id as given (which may hold a slash).
 */
function looksLikeFile(argument: string, cwd: string): boolean {
  return existsSync(path.resolve(cwd, argument)) || /^(\.{1,2})?\//.test(argument);
}
