/**
 * Does this deployment run Atlas Search? Checked once at start so a plain `mongod` fails with a
 * hint at Atlas Local instead of with the first search. Servers answer in three ways:
 *
 * - an error: SearchNotEnabled (31082), an unknown stage (40324), `$listSearchIndexes` "only
 *   allowed on MongoDB Atlas" (6047401, a MongoDB 7 community server), and a few older forms;
 * - an empty list without an error: community servers before 7.0.3. A fresh Atlas deployment
 *   answers an empty list too, so on those versions a `$vectorSearch` on an index that does not
 *   exist decides: a server without mongot refuses the stage; any other answer lets the store on.
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

/** Servers from this version on refuse `$listSearchIndexes` without search instead of listing nothing. */
const LISTS_HONESTLY_SINCE = [7, 0, 3];

function before(version: string | null, since: readonly number[]): boolean {
  const parts = /^(\d+)\.(\d+)\.(\d+)/.exec(version ?? '')?.slice(1).map(Number);
  if (parts === undefined) return true; // unknown version: probe
  for (let i = 0; i < since.length; i++) if (parts[i] !== since[i]) return parts[i]! < since[i]!;
  return false;
}

/** Lists the collection's search indexes and, on a server old enough to list none silently, probes `$vectorSearch`. */
export async function assertSearchSupported<T extends Document>(
  collection: Collection<T>, serverVersion: string | null = null,
): Promise<void> {
  let indexes: Document[];
  try {
    indexes = await collection.listSearchIndexes().toArray();
  } catch (error) {
    if (isSearchUnsupported(error)) throw new SearchNotSupportedError(error, serverVersion);
    throw error;
  }
  if (indexes.length > 0 || !before(serverVersion, LISTS_HONESTLY_SINCE)) return;
  try {
    await collection.aggregate([
      { $vectorSearch: { index: PROBE_INDEX, path: 'rag_probe', queryVector: [1], numCandidates: 1, limit: 1 } },
    ]).toArray();
  } catch (error) {
    // Only a refusal of search itself counts; any other answer came from a search engine.
    if (isSearchUnsupported(error)) throw new SearchNotSupportedError(error, serverVersion);
  }
}
