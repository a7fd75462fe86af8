/** `rag documents`: a collection's documents by id, optionally those under one id prefix (a folder's files). */
import { Command } from 'commander';
import { connectionOf, type CliContext } from './context.ts';
import type { Connection } from './connection.ts';
import { requestOptional } from './optional-feature.ts';
import { formatTable, oneLine, printJson, printLine } from './output.ts';
import { positiveInt } from './parse-options.ts';

const DOCUMENTS = `query Documents($collection: String!, $first: Int, $after: String, $idPrefix: String) {
  documents(collection: $collection, first: $first, after: $after, idPrefix: $idPrefix) {
    edges { node { id title mimeType chunkCount updatedAt } } pageInfo { hasNextPage endCursor }
  }
}`;

/** A document as the CLI lists it. */
export interface ListedDocument {
  readonly id: string;
  readonly title: string | null;
  readonly mimeType: string | null;
  readonly chunkCount: number;
  readonly updatedAt: string;
}

/** Every document of `collection` whose id starts with `idPrefix`, a page (100) at a time. */
export async function* listDocuments(connection: Connection, collection: string, idPrefix?: string): AsyncGenerator<ListedDocument> {
  let after: string | null = null;
  do {
    type Page = { documents: { edges: { node: ListedDocument }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } };
    const { documents }: Page = await requestOptional<Page>(connection, 'documents', 'a document list', DOCUMENTS,
      { collection, first: 100, after, idPrefix: idPrefix ?? null });
    for (const edge of documents.edges) yield edge.node;
    after = documents.pageInfo.hasNextPage ? documents.pageInfo.endCursor : null;
  } while (after !== null);
}

export function documentsCommand(context: CliContext): Command {
  return new Command('documents')
    .description('list a collection\'s documents by id (a file ingested by `rag ingest` is file:<absolute path>)')
    .requiredOption('-c, --collection <name>', 'collection to list')
    .option('--prefix <text>', 'only ids that start with this, e.g. file:/home/me/docs/')
    .option('-n, --first <n>', 'at most this many', positiveInt('--first'), 100)
    .option('--json', 'print machine-readable JSON only', false)
    .action(async (options: { collection: string; prefix?: string; first: number; json: boolean }, command: Command) => {
      const listed: ListedDocument[] = [];
      let more = false;
      for await (const document of listDocuments(connectionOf(command, context), options.collection, options.prefix)) {
        if (listed.length === options.first) {
          more = true;
          break;
        }
        listed.push(document);
      }
      if (options.json) {
        printJson(context, listed);
        return;
      }
      if (listed.length === 0) {
        printLine(context, 'no documents');
        return;
      }
      printLine(context, formatTable(['ID', 'TITLE', 'TYPE', 'CHUNKS', 'UPDATED'],
        listed.map((document) => [oneLine(document.id, 100), oneLine(document.title ?? '', 40), document.mimeType ?? '-', String(document.chunkCount), document.updatedAt])));
      if (more) printLine(context, `… more; show more with --first ${options.first * 2}`);
    });
}
