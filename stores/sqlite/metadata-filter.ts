/**
 * Translates a MetadataFilter into SQL over the chunks' metadata JSON. Types are compared as JSON
 * types (`json_type`), so `true` matches only JSON true — never 1 or "true" — and "2024" never
 * matches 2024. A `null` value matches a field that is null or absent, as a MongoDB equality does.
 */
import type { MetadataFilter } from '../store.ts';

/** Keys are dotted paths of plain names; anything else would need quoting rules of its own. */
const FILTER_KEY = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

/** A WHERE fragment (conditions joined by AND, or `1` when empty) and its positional parameters. */
export interface SqlCondition {
  readonly sql: string;
  readonly params: readonly (string | number)[];
}

/** Builds the condition on `<alias>.metadata`; throws naming the key or value that cannot be used. */
export function metadataFilterSql(filter: MetadataFilter, alias: string): SqlCondition {
  const column = `${alias}.metadata`;
  const parts: string[] = [];
  const params: (string | number)[] = [];
  for (const [key, value] of Object.entries(filter)) {
    if (!FILTER_KEY.test(key)) {
      throw new Error(
        `filter key "${key}" is not allowed: use letters, digits, "_", "-" and "." between nested names`,
      );
    }
    // Quote each segment so "-" is read as part of a name, not as JSON path syntax.
    const path = '$' + key.split('.').map((segment) => `."${segment}"`).join('');
    if (value === null) {
      parts.push(`coalesce(json_type(${column}, ?), 'null') = 'null'`);
      params.push(path);
    } else if (typeof value === 'boolean') {
      parts.push(`json_type(${column}, ?) = ?`);
      params.push(path, value ? 'true' : 'false');
    } else if (typeof value === 'number') {
      if (!Number.isFinite(value)) throw new Error(`filter value of "${key}" must be a finite number, got ${value}`);
      parts.push(`json_type(${column}, ?) IN ('integer', 'real') AND json_extract(${column}, ?) = ?`);
      params.push(path, path, value);
    } else if (typeof value === 'string') {
      parts.push(`json_type(${column}, ?) = 'text' AND json_extract(${column}, ?) = ?`);
      params.push(path, path, value);
    } else {
      throw new Error(`filter value of "${key}" must be a string, number, boolean or null, got ${typeof value}`);
    }
  }
  return { sql: parts.length === 0 ? '1' : parts.map((part) => `(${part})`).join(' AND '), params };
}
