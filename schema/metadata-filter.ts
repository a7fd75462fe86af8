/**
 * The metadata filter of a search: equality on metadata fields, `{ lang: "en", year: 2024 }`.
 * One rule for what a filter may hold, checked by the gateway on the client's argument and by
 * every store before it builds a query (so a key the gateway lets through is one a store can use).
 */
import { ContractError } from './contract-error.ts';

/** Equality filter on metadata fields: dotted keys, scalar values. */
export type MetadataFilter = Readonly<Record<string, string | number | boolean | null>>;

/** Most fields in one filter. */
export const MAX_FILTER_FIELDS = 20;
/** Longest filter key, in characters. */
export const MAX_FILTER_KEY_CHARS = 64;

/** One name within a key: stores quote these, and nothing else needs quoting rules of its own. */
const SEGMENT = /^[A-Za-z0-9_-]+$/;

/** True for a metadata field name a filter can address as one segment of a dotted key. */
export function isFilterKeySegment(name: string): boolean {
  return SEGMENT.test(name);
}

/**
 * Checks a filter, naming the offending key (`filter.<key>`) or value; returns it typed.
 * `undefined` and `null` mean no filter. `field` names the argument in errors.
 */
export function parseMetadataFilter(value: unknown, field = 'filter'): MetadataFilter | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new ContractError(field, 'must be a JSON object of metadata fields to match');
  }
  const entries = Object.entries(value);
  if (entries.length > MAX_FILTER_FIELDS) {
    throw new ContractError(field, `at most ${MAX_FILTER_FIELDS} fields, got ${entries.length}`);
  }
  for (const [key, item] of entries) {
    if (key.length > MAX_FILTER_KEY_CHARS || !key.split('.').every(isFilterKeySegment)) {
      throw new ContractError(`${field}.${key}`,
        `field names are letters, digits, "_" and "-", nested names joined by single dots, at most ${MAX_FILTER_KEY_CHARS} characters`);
    }
    if (typeof item === 'number' && !Number.isFinite(item)) {
      throw new ContractError(`${field}.${key}`, `must be a finite number, got ${item}`);
    }
    if (item !== null && !['string', 'number', 'boolean'].includes(typeof item)) {
      throw new ContractError(`${field}.${key}`, 'must be a string, number, boolean or null (equality match)');
    }
  }
  return value as MetadataFilter;
}
