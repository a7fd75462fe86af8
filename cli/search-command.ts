/** `rag search "<query>" -c <collection> [--mode hybrid|vector|lexical] [--lexical-weight 0..1]`: the best chunks, best first. */
import { Command } from 'commander';
import type { SearchHit } from '../schema/domain.ts';
import { connectionOf, type CliContext } from './context.ts';
import { request } from './graphql-client.ts';
import { ExitCode, oneLine, printJson, printLine } from './output.ts';
import { fraction, jsonObject, oneOf, positiveInt } from './parse-options.ts';

const MODES = ['HYBRID', 'VECTOR', 'LEXICAL'] as const;

/** A search hit as the API returns it: the domain's, with `metadata` nullable as schema.graphql declares it. */
type ApiSearchHit = Omit<SearchHit, 'metadata'> & { readonly metadata: SearchHit['metadata'] | null };

const SEARCH = `query Search($collection: String!, $query: String!, $k: Int, $filter: JSON, $mode: SearchMode, $lexicalWeight: Float) {
  search(collection: $collection, query: $query, k: $k, filter: $filter, mode: $mode, lexicalWeight: $lexicalWeight) {
    chunkId documentId text score ordinal title heading metadata signals { signal rank score }
  }
}`;

export function searchCommand(context: CliContext): Command {
  return new Command('search')
    .description('find the chunks that best match a query in a collection')
    .argument('<query>', 'the text to search for (quote it)')
    .requiredOption('-c, --collection <name>', 'collection to search')
    .option('-k, --k <n>', 'number of hits (1..100)', positiveInt('-k'), 5)
    .option('--filter <json>', 'metadata equality filter, e.g. \'{"lang":"en"}\'', jsonObject('--filter'))
    .option('--mode <mode>', 'hybrid (words and vectors fused), vector or lexical', oneOf('--mode', MODES), 'HYBRID')
    .option('--lexical-weight <w>', 'hybrid only: the lexical ranking\'s share of the fused score (0..1; default: the gateway\'s HYBRID_LEXICAL_WEIGHT)', fraction('--lexical-weight'))
    .option('--json', 'print machine-readable JSON only', false)
    .action(async (query: string, options: { collection: string; k: number; filter?: Record<string, unknown>; mode: string; lexicalWeight?: number; json: boolean }, command: Command) => {
      const { search } = await request<{ search: ApiSearchHit[] }>(connectionOf(command, context), SEARCH, {
        collection: options.collection, query, k: options.k, filter: options.filter ?? null, mode: options.mode, lexicalWeight: options.lexicalWeight ?? null,
      });
      if (options.json) {
        printJson(context, search);
      } else if (search.length === 0) {
        printLine(context, `no hits in "${options.collection}"`);
      } else {
        search.forEach((hit, index) => {
          const where = typeof hit.metadata?.path === 'string' ? hit.metadata.path : hit.title ?? hit.documentId;
          const signals = hit.signals.map((match) => `${match.signal.toLowerCase()} #${match.rank}`).join(', ');
          printLine(context, `${index + 1}. ${hit.score.toFixed(3)}  ${where}  (document ${hit.documentId}, chunk ${hit.ordinal}; ${signals})`);
          if (hit.heading !== null) printLine(context, `   § ${oneLine(hit.heading, 160)}`);
          printLine(context, `   ${oneLine(hit.text, 160)}`);
        });
      }
      process.exitCode = ExitCode.OK;
    });
}
