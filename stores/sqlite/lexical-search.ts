/**
 * Lexical ranking over the FTS5 index (migration 3): BM25 over the porter-stemmed chunk text,
 * heading and title. The query text is reduced to its words, each quoted, joined by OR, so no
 * user input is read as FTS5 query syntax and a chunk matching more (and rarer) words ranks higher.
 */
import type Database from 'better-sqlite3';
import type { SearchHit } from '../../schema/domain.ts';
import { HIT_COLUMNS, keyedRowsSql, rankKeyedRows, rowToHit, type HitRow, type KeyedHitRow } from './chunk-hits.ts';
import type { MetadataFilter } from '../../schema/metadata-filter.ts';
import { metadataFilterSql, type SqlCondition } from './metadata-filter.ts';

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

/**
 * Matches of the whole FTS index (every collection) ranked before any chunk row is read: at least
 * this many, or 4k. Joining every match with the chunks table to test its collection cost about
 * two thirds of a ranking at 100k chunks, where one query word can match 60k of them.
 */
const GLOBAL_DEPTH = 200;

/** The k chunks of the collection with the best BM25, best first; score is -bm25 (higher is better). */
export function searchLexical(db: Database.Database, search: LexicalSearch): Omit<SearchHit, 'signals'>[] {
  const match = lexicalMatchExpression(search.text);
  if (match === null) return [];
  const condition = search.filter === undefined ? { sql: '1', params: [] } : metadataFilterSql(search.filter, 'c');
  return bestGlobalMatches(db, search, match, condition) ?? db.prepare(
    `SELECT ${HIT_COLUMNS}, -bm25(chunks_fts) AS score
     FROM chunks_fts JOIN chunks c ON c.rowid = chunks_fts.rowid
     WHERE chunks_fts MATCH ? AND c.collection = ? AND ${condition.sql}
     ORDER BY score DESC, c.id LIMIT ?`,
  ).all(match, search.collection, ...condition.params, search.k).map((row) => rowToHit(row as HitRow));
}

/**
 * The collection's top k from the index's best matches alone, or null when they cannot be known
 * that way. They can when the best `depth` matches hold k of the collection's chunks (passing the
 * filter) that score strictly above the last of those matches (any chunk not read scores no
 * higher than it), or when there are no more matches than that. The caller runs both queries in
 * one read transaction (runSearch), so they see the same rows.
 */
function bestGlobalMatches(db: Database.Database, search: LexicalSearch, match: string, condition: SqlCondition): Omit<SearchHit, 'signals'>[] | null {
  const depth = Math.max(GLOBAL_DEPTH, 4 * search.k);
  const best = db.prepare(
    'SELECT rowid, -bm25(chunks_fts) AS score FROM chunks_fts WHERE chunks_fts MATCH ? ORDER BY score DESC LIMIT ?',
  ).raw().all(match, depth) as [number, number][];
  const scores = new Map(best);
  const rows = db.prepare(keyedRowsSql(condition.sql))
    .all(JSON.stringify([...scores.keys()]), search.collection, ...condition.params) as KeyedHitRow[];
  const hits = rankKeyedRows(rows, scores);
  const complete = best.length < depth;
  const kth = hits[search.k - 1];
  if (!complete && (kth === undefined || kth.score <= best.at(-1)![1])) return null;
  return hits.slice(0, search.k);
}
