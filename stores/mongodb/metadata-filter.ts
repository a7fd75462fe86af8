/**
 * Metadata filters for `$vectorSearch`. Atlas only filters on paths the vector index declares
 * as `filter` fields, so the store declares one for every scalar metadata path it has seen in a
 * collection (`metadata.lang`, `metadata.nested.tag`, …) and updates the index when new ones
 * appear. A user filters on any key without configuring anything.
 *
 * Semantics match the embedded store: equality with JSON types compared strictly (Atlas indexes
 * booleans, numbers and strings as distinct types), and `null` matching a null or absent field.
 * A key never seen in the collection matches no document, except with `null`, which then
 * matches them all.
 */
import type { Document } from 'mongodb';
import type { Metadata } from '../../schema/domain.ts';
import { isFilterKeySegment, parseMetadataFilter, type MetadataFilter } from '../../schema/metadata-filter.ts';
/** Past this many metadata paths per collection, new ones are not declared (Atlas index size). */
export const MAX_FILTER_PATHS = 200;

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
    conditions.push({ [path]: { $eq: value } });
  }
  return conditions.length === 1 ? conditions[0]! : { $and: conditions };
}
