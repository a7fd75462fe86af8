/** `rag collections`: the collections this key may use, with their embedder and size. */
import { Command } from 'commander';
import { connectionOf, type CliContext } from './context.ts';
import { requestOptional } from './optional-feature.ts';
import { formatTable, printJson, printLine } from './output.ts';

const COLLECTIONS = 'query { collections { name embedder dimension documentCount chunkCount } }';

interface CollectionState {
  readonly name: string;
  readonly embedder: string;
  readonly dimension: number;
  readonly documentCount: number;
  readonly chunkCount: number;
}

export function collectionsCommand(context: CliContext): Command {
  return new Command('collections')
    .description('list the collections this key may use, with their embedder, documents and chunks')
    .option('--json', 'print machine-readable JSON only', false)
    .action(async (options: { json: boolean }, command: Command) => {
      const { collections } = await requestOptional<{ collections: CollectionState[] }>(
        connectionOf(command, context), 'collections', 'a collection list', COLLECTIONS);
      if (options.json) {
        printJson(context, collections);
        return;
      }
      if (collections.length === 0) {
        printLine(context, 'no collections');
        return;
      }
      printLine(context, formatTable(['NAME', 'EMBEDDER', 'DIMENSION', 'DOCUMENTS', 'CHUNKS'],
        collections.map((collection) => [collection.name, collection.embedder, String(collection.dimension), String(collection.documentCount), String(collection.chunkCount)])));
    });
}
