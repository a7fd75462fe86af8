/**
 * Lexical ranking over the FTS5 index (migration 3): BM25 over the porter-stemmed chunk text,
 * heading and title. The query text is reduced to its words, each quoted, joined by OR, so no
 * user input is read as FTS5 query syntax and a chunk matching more (and rarer) words ranks higher.
 */
import type Database from 'better-sqlite3';
import type { SearchHit } from '../../schema/domain.ts';
import { HIT_COLUMNS, rowToHit, type HitRow } from './chunk-hits.ts';
import type { MetadataFilter } from '../../schema/metadata-filter.ts';
import { metadataFilterSql } from './metadata-filter.ts';

/** Words of a query beyond this are ignored (the API caps the text at 10,000 characters). */
export const MAX_QUERY_TERMS = 64;

/**
 * Function words dropped from queries (not from the index): they match nearly every chunk, so
 * they add almost nothing to BM25 yet make the index visit every row.
 */
const STOPWORDS = new Set(
  ('a an and are as at be by for from has have in is it its of on or that the this to was were will with ' +
   'do does how i into not no so than then there these those what when where which who why you your').split(' '),
);

/** The FTS5 MATCH expression for a query text, or null when it holds no word. */
export function lexicalMatchExpression(text: string): string | null {
  const words = [...new Set((text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []))];
  const content = words.filter((word) => !STOPWORDS.has(word));
  const terms = (content.length > 0 ? content : words).slice(0, MAX_QUERY_TERMS);
  return terms.length === 0 ? null : terms.map((term) => `"${term}"`).join(' OR ');
}

/** Arguments of one lexical ranking in a collection. */
export interface LexicalSearch {
  readonly collection: string;
  readonly text: string;
  readonly k: number;
  readonly filter?: MetadataFilter;
}

/** The k chunks of the collection with the best BM25, best first; score is -bm25 (higher is better). */
export function searchLexical(db: Database.Database, search: LexicalSearch): Omit<SearchHit, 'signals'>[] {
  const match = lexicalMatchExpression(search.text);
  if (match === null) return [];
  const condition = search.filter === undefined ? { sql: '1', params: [] } : metadataFilterSql(search.filter, 'c');
  const rows = db.prepare(
    `SELECT ${HIT_COLUMNS}, -bm25(chunks_fts) AS score
     FROM chunks_fts JOIN chunks c ON c.rowid = chunks_fts.rowid
     WHERE chunks_fts MATCH ? AND c.collection = ? AND ${condition.sql}
     ORDER BY score DESC, c.id LIMIT ?`,
  ).all(match, search.collection, ...condition.params, search.k) as HitRow[];
  return rows.map(rowToHit);
}
