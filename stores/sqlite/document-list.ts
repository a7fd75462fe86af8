/**
 * A page of one collection's documents (Store.listDocuments): the documents table's primary key
 * is (collection, id), so a page is one range of that index, and a prefix another range within it.
 */
import type Database from 'better-sqlite3';
import type { DocumentPage, DocumentQuery } from '../store.ts';
import { rowToDocument, type DocumentRow } from './document-rows.ts';
import { prepared } from './statements.ts';

export function listDocuments(db: Database.Database, query: DocumentQuery): DocumentPage {
  const prefix = query.idPrefix ?? '';
  const upper = prefix === '' ? null : idPrefixUpperBound(prefix);
  const rows = prepared(db,
    `SELECT * FROM documents
     WHERE collection = @collection AND id > @after AND id >= @prefix AND (@upper IS NULL OR id < @upper)
       AND substr(id, 1, length(@prefix)) = @prefix
     ORDER BY id LIMIT @limit`,
  ).all({ collection: query.collection, after: query.afterId ?? '', prefix, upper, limit: query.first + 1 }) as DocumentRow[];
  return { documents: rows.slice(0, query.first).map(rowToDocument), hasNextPage: rows.length > query.first };
}

/**
 * Every id starting with `prefix` is ≥ prefix and < this bound: the prefix with its last code
 * point raised by one (SQLite compares text as UTF-8 bytes, which order as code points do). Null
 * when the prefix ends with the largest code point; the substr test above is exact either way.
 */
export function idPrefixUpperBound(prefix: string): string | null {
  const points = [...prefix];
  const last = points.pop()?.codePointAt(0);
  if (last === undefined || last >= 0x10ffff) return null;
  // No character lies in the surrogate range: the one after U+D7FF is U+E000.
  const next = last + 1 >= 0xd800 && last + 1 <= 0xdfff ? 0xe000 : last + 1;
  return points.join('') + String.fromCodePoint(next);
}
