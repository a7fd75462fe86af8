/**
 * Metadata filters for `$vectorSearch`. Atlas only filters on paths the vector index declares
 * as `filter` fields, so the store declares one for every scalar metadata path it has seen in a
 * collection (`metadata.lang`, `metadata.nested.tag`, …) and updates the index when new ones
 * appear. A user filters on any key without configuring anything.
 *
 * Semantics match the embedded store: equality with JSON types compared strictly (Atlas indexes
 * booleans, numbers and strings as distinct types), and `null` matching a null or absent field.
 * `{$eq: null}` alone matches an explicit null only, so null is sent as `$eq: null` OR
 * `$exists: false` (`$exists` is a `$vectorSearch` filter operator since November 2025:
 * https://www.mongodb.com/docs/atlas/atlas-vector-search/vector-search-stage/#atlas-vector-search-pre-filter).
 * A key never seen in the collection matches no document, except with `null`, which then
 * matches them all.
 */
import type { Document } from 'mongodb';
import type { Metadata } from '../../schema/domain.ts';
import { isFilterKeySegment, parseMetadataFilter, type MetadataFilter } from '../../schema/metadata-filter.ts';

/** At most this many metadata paths per collection are declared as filter fields (index size). */
export const MAX_FILTER_PATHS = 200;

/**
 * Thrown when a document would take its collection past MAX_FILTER_PATHS metadata paths. Paths
 * past the limit could not be declared, and filters on them would silently match nothing, so the
 * write is refused instead. Retrying cannot help.
 */
export class TooManyFilterPathsError extends Error {
  readonly nonRetryable = true;

  constructor(readonly collection: string, readonly paths: number, readonly added: readonly string[]) {
    super(`metadata: document would give collection "${collection}" ${paths} distinct metadata paths, ` +
      `more than the ${MAX_FILTER_PATHS} the vector index can declare as filters (new: ${added.slice(0, 5).join(', ')}` +
      `${added.length > 5 ? ', …' : ''}): keep metadata keys to a fixed set, or nest free-form data in an array`);
    this.name = 'TooManyFilterPathsError';
  }
}

/** Dotted `metadata.…` paths of every scalar (string, number, boolean, null) value in `metadata`. */
export function metadataPaths(metadata: Metadata, prefix = 'metadata'): string[] {
  const paths: string[] = [];
  for (const [key, value] of Object.entries(metadata)) {
    if (!isFilterKeySegment(key)) continue; // a filter could not address it
    const path = `${prefix}.${key}`;
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      paths.push(...metadataPaths(value as Metadata, path));
    } else if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) {
      paths.push(path);
    }
  }
  return paths;
}

/** The declared paths a filter conditions on: the index must serve these before the search runs. */
export function filterPathsUsed(filter: MetadataFilter | undefined, knownPaths: ReadonlySet<string>): string[] {
  return Object.keys(filter ?? {}).map((key) => `metadata.${key}`).filter((path) => knownPaths.has(path));
}

/** The `$vectorSearch` filter for a query, or `'no-match'` when a condition cannot hold. */
export function vectorSearchFilter(
  collection: string,
  filter: MetadataFilter | undefined,
  knownPaths: ReadonlySet<string>,
): Document | 'no-match' {
  const entries = Object.entries(parseMetadataFilter(filter) ?? {});
  const conditions: Document[] = [{ collection: { $eq: collection } }];
  for (const [key, value] of entries) {
    const path = `metadata.${key}`;
    if (!knownPaths.has(path)) {
      // No document of the collection has this path: null holds for all of them, anything else for none.
      if (value === null) continue;
      return 'no-match';
    }
    conditions.push(value === null
      ? { $or: [{ [path]: { $eq: null } }, { [path]: { $exists: false } }] }
      : { [path]: { $eq: value } });
  }
  return conditions.length === 1 ? conditions[0]! : { $and: conditions };
}
