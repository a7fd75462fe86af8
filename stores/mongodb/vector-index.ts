/**
 * The Atlas Vector Search indexes the store creates and maintains itself: one per embedder
 * dimension on the `chunks` collection, each over its own vector path (`embeddings.d<dimension>`),
 * so collections built with different models never share an index whose `numDimensions` fits only
 * one of them. Filter fields: collection, documentId and the metadata paths seen so far.
 * https://www.mongodb.com/docs/atlas/atlas-vector-search/vector-search-type/
 */
import { MongoServerError } from 'mongodb';
import type { Collection, Document } from 'mongodb';

export function vectorIndexName(dimension: number): string {
  return `rag_vectors_${dimension}`;
}

export function vectorPath(dimension: number): string {
  return `embeddings.d${dimension}`;
}

/** The index definition for one dimension: cosine similarity, filters first-class. */
export function vectorIndexDefinition(dimension: number, metadataPaths: Iterable<string>): Document {
  return {
    fields: [
      { type: 'vector', path: vectorPath(dimension), numDimensions: dimension, similarity: 'cosine' },
      { type: 'filter', path: 'collection' },
      { type: 'filter', path: 'documentId' },
      ...[...new Set(metadataPaths)].sort().map((path) => ({ type: 'filter', path })),
    ],
  };
}

/** A comparable fingerprint of a definition (Atlas may echo it back with keys in another order). */
export function definitionKey(definition: Document | undefined): string {
  const fields = Array.isArray(definition?.fields) ? (definition.fields as Document[]) : [];
  return fields
    .map((field) => [field.type, field.path, field.numDimensions ?? '', field.similarity ?? ''].join(':'))
    .sort()
    .join('|');
}

/** Thrown at start when the server cannot run `$vectorSearch` (a plain community mongod). */
export class SearchNotSupportedError extends Error {
  constructor(cause: unknown) {
    super(
      'this MongoDB deployment has no Atlas Search / Vector Search support (listing search indexes failed: ' +
      `${cause instanceof Error ? cause.message : String(cause)}). STORE=mongodb needs MongoDB Atlas or Atlas Local: ` +
      'run `docker run -p 27017:27017 mongodb/mongodb-atlas-local` (or `atlas deployments setup --type local`) ' +
      'and point MONGODB_URI at it, or use STORE=sqlite',
      { cause },
    );
    this.name = 'SearchNotSupportedError';
  }
}

/** Server answers that mean "no search here": SearchNotEnabled, unknown stage/command, mongot absent. */
export function isSearchUnsupported(error: unknown): boolean {
  if (!(error instanceof MongoServerError)) return false;
  if ([31082, 40324, 59, 115].includes(Number(error.code))) return true;
  if (['SearchNotEnabled', 'CommandNotFound', 'CommandNotSupported'].includes(error.codeName ?? '')) return true;
  return /search index commands are only supported with Atlas|requires additional configuration|Unrecognized pipeline stage name: '\$listSearchIndexes'|mongot/i
    .test(error.message);
}

/** Lists the collection's search indexes, turning "no search support" into SearchNotSupportedError. */
export async function assertSearchSupported<T extends Document>(collection: Collection<T>): Promise<void> {
  try {
    await collection.listSearchIndexes().toArray();
  } catch (error) {
    if (isSearchUnsupported(error)) throw new SearchNotSupportedError(error);
    throw error;
  }
}

/** What `$listSearchIndexes` reports about one index (the fields this module reads). */
interface SearchIndexInfo {
  readonly name: string;
  readonly status?: string;
  readonly queryable?: boolean;
  readonly latestDefinition?: Document;
  readonly message?: unknown;
  readonly statusDetail?: unknown;
}

/** How often a build is polled while waiting for the index, in ms, unless a caller (a test) asks otherwise. */
export const INDEX_POLL_MS = 500;

/** Options of ensureVectorIndex. */
export interface EnsureIndexOptions {
  /** How long to wait for the index to become queryable, in ms. */
  readonly waitMs: number;
  /** Poll interval while waiting, in ms. */
  readonly pollMs: number;
}

/**
 * Creates the index, or updates it when its definition differs, then waits until it is queryable
 * with that definition. Atlas keeps serving the old definition while an update builds.
 */
export async function ensureVectorIndex<T extends Document>(
  collection: Collection<T>, name: string, definition: Document, options: EnsureIndexOptions,
): Promise<void> {
  const wanted = definitionKey(definition);
  const [existing] = (await collection.listSearchIndexes(name).toArray()) as SearchIndexInfo[];
  if (existing === undefined) {
    try {
      await collection.createSearchIndex({ name, type: 'vectorSearch', definition });
    } catch (error) {
      // Another process created it first (IndexAlreadyExists): fall through to compare and wait.
      if (!(error instanceof MongoServerError && (error.code === 68 || /already exists/i.test(error.message)))) throw error;
      return ensureVectorIndex(collection, name, definition, options);
    }
  } else if (definitionKey(existing.latestDefinition) !== wanted) {
    await collection.updateSearchIndex(name, definition);
  }
  await waitUntilQueryable(collection, name, wanted, options);
}

async function waitUntilQueryable<T extends Document>(
  collection: Collection<T>, name: string, wanted: string, options: EnsureIndexOptions,
): Promise<void> {
  const deadline = Date.now() + options.waitMs;
  for (;;) {
    const [index] = (await collection.listSearchIndexes(name).toArray()) as SearchIndexInfo[];
    if (index?.status === 'FAILED') {
      throw new Error(`vector search index "${name}" failed to build: ${JSON.stringify(index.message ?? index.statusDetail ?? '')}`);
    }
    const current = definitionKey(index?.latestDefinition) === wanted;
    if (index?.queryable === true && index.status === 'READY' && current) return;
    if (Date.now() > deadline) {
      throw new Error(
        `vector search index "${name}" is not queryable after ${options.waitMs} ms (status ${String(index?.status)}): ` +
        'Atlas may still be building it; raise MONGODB_INDEX_WAIT_MS or retry',
      );
    }
    await new Promise((resolve) => setTimeout(resolve, options.pollMs));
  }
}
