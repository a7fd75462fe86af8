/**
 * The read path: embed the query in-process with the collection's embedder and ask the store
 * (HYBRID by default: lexical and vector rankings fused).
 * No queue on this path: queries never wait behind ingestion.
 */
import { COLLECTION_NAME, SEARCH_MODES, type SearchHit, type SearchMode } from '../schema/domain.ts';
import type { Embedder } from '../embedders/embedder.ts';
import { UnsupportedSearchModeError, type MetadataFilter, type Store } from '../stores/store.ts';
import { ErrorCode, apiError, badInput } from './errors.ts';

export const MAX_K = 100;
export const MAX_QUERY_CHARS = 10_000;

export class SearchService {
  constructor(private readonly store: Store, private readonly embedder: Embedder) {}

  async search(collection: string, query: string, k: number, filter: unknown, mode: SearchMode = 'HYBRID'): Promise<SearchHit[]> {
    if (!COLLECTION_NAME.test(collection)) throw badInput('collection', 'must match [a-z0-9_-]{1,64}');
    if (!Number.isInteger(k) || k < 1 || k > MAX_K) throw badInput('k', `must be an integer in 1..${MAX_K}, got ${k}`);
    if (!SEARCH_MODES.includes(mode)) throw badInput('mode', `must be one of ${SEARCH_MODES.join(', ')}`);
    if (query.trim().length === 0) throw badInput('query', 'must not be empty');
    if (query.length > MAX_QUERY_CHARS) throw badInput('query', `at most ${MAX_QUERY_CHARS} characters`);
    const metadataFilter = checkFilter(filter);
    const built = await this.store.getCollectionEmbedder(collection);
    if (!built) return [];
    // A lexical search needs no embedding, so it works whatever embedder this gateway has.
    let vector: Float32Array | undefined;
    if (mode !== 'LEXICAL') {
      const identity = await this.embedder.identity();
      if (built.name !== identity.name || built.dimension !== identity.dimension) {
        throw apiError(ErrorCode.CONFLICT,
          `collection "${collection}" was indexed with ${built.name} (${built.dimension} dimensions), ` +
          `but this gateway embeds with ${identity.name} (${identity.dimension} dimensions): configure the same embedder`);
      }
      [vector] = await this.embedder.embed([query]);
    }
    try {
      return await this.store.search({
        collection, mode, text: query, k, ...(vector ? { vector } : {}), ...(metadataFilter ? { filter: metadataFilter } : {}),
      });
    } catch (error) {
      if (error instanceof UnsupportedSearchModeError) throw badInput('mode', error.message);
      throw error;
    }
  }
}

function checkFilter(filter: unknown): MetadataFilter | undefined {
  if (filter === undefined || filter === null) return undefined;
  if (typeof filter !== 'object' || Array.isArray(filter)) throw badInput('filter', 'must be a JSON object of metadata fields to match');
  const entries = Object.entries(filter);
  if (entries.length > 20) throw badInput('filter', 'at most 20 fields');
  for (const [key, value] of entries) {
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(key)) throw badInput(`filter.${key}`, 'field names match [A-Za-z0-9_.-]{1,64}');
    if (value !== null && !['string', 'number', 'boolean'].includes(typeof value)) {
      throw badInput(`filter.${key}`, 'must be a string, number, boolean or null (equality match)');
    }
  }
  return filter as MetadataFilter;
}
