/**
 * The read path: embed the query in-process with the collection's embedder and ask the store
 * (HYBRID by default: lexical and vector rankings fused).
 * No queue on this path: queries never wait behind ingestion.
 */
import { COLLECTION_NAME, SEARCH_MODES, type EmbedderIdentity, type SearchHit, type SearchMode } from '../schema/domain.ts';
import type { Embedder } from '../embedders/embedder.ts';
import { EmbedderMismatchError } from '../schema/embedder-mismatch.ts';
import { parseMetadataFilter } from '../schema/metadata-filter.ts';
import { UnsupportedSearchModeError, checkLexicalWeight, type Store } from '../stores/store.ts';
import { FUSION_WEIGHTS } from '../stores/rank-fusion.ts';
import { ErrorCode, apiError, badInput, checkArgument } from './errors.ts';

export const MAX_K = 100;
export const MAX_QUERY_CHARS = 10_000;

export class SearchService {
  /** `lexicalWeight`: HYBRID's lexical weight when a query gives none (HYBRID_LEXICAL_WEIGHT). */
  constructor(private readonly store: Store, private readonly embedder: Embedder, private readonly lexicalWeight = FUSION_WEIGHTS.LEXICAL) {}

  async search(collection: string, query: string, k: number, filter: unknown, mode: SearchMode = 'HYBRID', lexicalWeight?: number): Promise<SearchHit[]> {
    if (!COLLECTION_NAME.test(collection)) throw badInput('collection', 'must match [a-z0-9_-]{1,64}');
    if (!Number.isInteger(k) || k < 1 || k > MAX_K) throw badInput('k', `must be an integer in 1..${MAX_K}, got ${k}`);
    if (!SEARCH_MODES.includes(mode)) throw badInput('mode', `must be one of ${SEARCH_MODES.join(', ')}`);
    if (query.trim().length === 0) throw badInput('query', 'must not be empty');
    if (query.length > MAX_QUERY_CHARS) throw badInput('query', `at most ${MAX_QUERY_CHARS} characters`);
    checkArgument(() => checkLexicalWeight(mode, lexicalWeight));
    const metadataFilter = checkArgument(() => parseMetadataFilter(filter, 'filter'));
    // A lexical search needs no embedding, so it works whatever embedder this gateway has. The
    // store checks the embedder in the one lookup that finds the collection (none: no hits).
    let vector: Float32Array | undefined;
    let embedder: EmbedderIdentity | undefined;
    if (mode !== 'LEXICAL') {
      embedder = await this.embedder.identity();
      [vector] = await this.embedder.embed([query]);
    }
    try {
      return await this.store.search({
        collection, mode, text: query, k, ...(mode === 'HYBRID' ? { lexicalWeight: lexicalWeight ?? this.lexicalWeight } : {}),
        ...(vector ? { vector, embedder } : {}), ...(metadataFilter ? { filter: metadataFilter } : {}),
      });
    } catch (error) {
      if (error instanceof UnsupportedSearchModeError) throw badInput('mode', error.message);
      if (error instanceof EmbedderMismatchError) throw apiError(ErrorCode.CONFLICT, error.message);
      throw error;
    }
  }
}
