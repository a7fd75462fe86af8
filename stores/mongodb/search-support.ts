/**
 * Does this deployment run Atlas Search? Checked once at start so a plain `mongod` fails with a
 * hint at Atlas Local instead of with the first search. Servers answer in three ways:
 *
 * - an error: SearchNotEnabled (31082), an unknown stage (40324), `$listSearchIndexes` "only
 *   allowed on MongoDB Atlas" (6047401, a MongoDB 7 community server), and a few older forms;
 * - an empty list without an error: community servers before 7.0.3. An empty list is also what
 *   a fresh Atlas deployment answers, so then a `$vectorSearch` on an index that does not exist
 *   decides: Atlas answers no documents, a server without mongot refuses the stage.
 *
 * https://www.mongodb.com/docs/manual/reference/operator/aggregation/listSearchIndexes/
 */
import { MongoServerError } from 'mongodb';
import type { Collection, Document } from 'mongodb';

/** Thrown at start when the server cannot run `$vectorSearch` (a plain community mongod). */
export class SearchNotSupportedError extends Error {
  constructor(cause: unknown, serverVersion: string | null = null) {
    const version = serverVersion === null ? '' : ` (MongoDB ${serverVersion})`;
    super(
      `this MongoDB deployment${version} has no Atlas Search / Vector Search support ` +
      `(${cause instanceof Error ? cause.message : String(cause)}). STORE=mongodb needs MongoDB Atlas or Atlas Local: ` +
      'run `docker run -p 27017:27017 mongodb/mongodb-atlas-local` (or `atlas local setup`) ' +
      'and point MONGODB_URI at it, or use STORE=sqlite',
      { cause },
    );
    this.name = 'SearchNotSupportedError';
  }
}

/**
 * Codes meaning "no search here": SearchNotEnabled, unknown pipeline stage, `$listSearchIndexes`
 * only allowed on Atlas (MongoDB 7 community), CommandNotFound, CommandNotSupported.
 */
const UNSUPPORTED_CODES = [31082, 40324, 6047401, 59, 115];

/** Server answers that mean "no search here". */
export function isSearchUnsupported(error: unknown): boolean {
  if (!(error instanceof MongoServerError)) return false;
  if (UNSUPPORTED_CODES.includes(Number(error.code))) return true;
  if (['SearchNotEnabled', 'CommandNotFound', 'CommandNotSupported'].includes(error.codeName ?? '')) return true;
  return /search index commands are only supported with Atlas|only allowed on MongoDB Atlas|requires additional configuration|Unrecognized pipeline stage name: '\$(listSearchIndexes|vectorSearch)'|mongot/i
    .test(error.message);
}

/** An index name no deployment holds: the probe asks for it so that Atlas answers nothing. */
export const PROBE_INDEX = 'rag_search_support_probe';

/** Lists the collection's search indexes and, when none exist yet, probes `$vectorSearch`. */
export async function assertSearchSupported<T extends Document>(
  collection: Collection<T>, serverVersion: string | null = null,
): Promise<void> {
  try {
    const indexes = await collection.listSearchIndexes().toArray();
    if (indexes.length > 0) return;
    await collection.aggregate([
      { $vectorSearch: { index: PROBE_INDEX, path: 'rag_probe', queryVector: [1], numCandidates: 1, limit: 1 } },
    ]).toArray();
  } catch (error) {
    if (isSearchUnsupported(error)) throw new SearchNotSupportedError(error, serverVersion);
    throw error;
  }
}
