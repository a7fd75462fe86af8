/**
 * Translates a MetadataFilter into SQL over the chunks' metadata JSON. Types are compared as JSON
 * types (`json_type`), so `true` matches only JSON true — never 1 or "true" — and "2024" never
 * matches 2024. A `null` value matches a field that is null or absent, as a MongoDB equality does.
 */
import { parseMetadataFilter, type MetadataFilter } from '../../schema/metadata-filter.ts';

/** A WHERE fragment (conditions joined by AND, or `1` when empty) and its positional parameters. */
export interface SqlCondition {
  readonly sql: string;
  readonly params: readonly (string | number)[];
}

/** Builds the condition on `<alias>.metadata`; throws a ContractError naming the key or value that cannot be used. */
export function metadataFilterSql(filter: MetadataFilter, alias: string): SqlCondition {
  const column = `${alias}.metadata`;
  const parts: string[] = [];
  const params: (string | number)[] = [];
  for (const [key, value] of Object.entries(parseMetadataFilter(filter) ?? {})) {
    // Quote each segment so "-" is read as part of a name, not as JSON path syntax.
    const path = '$' + key.split('.').map((segment) => `."${segment}"`).join('');
    if (value === null) {
      parts.push(`coalesce(json_type(${column}, ?), 'null') = 'null'`);
      params.push(path);
    } else if (typeof value === 'boolean') {
      parts.push(`json_type(${column}, ?) = ?`);
      params.push(path, value ? 'true' : 'false');
    } else if (typeof value === 'number') {
      parts.push(`json_type(${column}, ?) IN ('integer', 'real') AND json_extract(${column}, ?) = ?`);
      params.push(path, path, value);
    } else {
      parts.push(`json_type(${column}, ?) = 'text' AND json_extract(${column}, ?) = ?`);
      params.push(path, path, value);
    }
  }
  return { sql: parts.length === 0 ? '1' : parts.map((part) => `(${part})`).join(' AND '), params };
}
