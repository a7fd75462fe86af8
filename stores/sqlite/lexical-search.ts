/**
 * Lexical ranking over the collection's FTS5 index (migrations.ts createLexicalTable): BM25 over
 * the porter-stemmed chunk text, heading and title. The query text is reduced to its words, each
 * quoted, joined by OR, so no user input is read as FTS5 query syntax and a chunk matching more
 * (and rarer) words ranks higher.
 *
 * FTS5 scores every match before it sorts, and one common word can match most of the index. So
 * the ranking first takes the index's best matches of the rarer words alone (lexical-pruning.ts),
 * then reads only those chunk rows; it falls back to wider or deeper passes, and at last to every
 * match in the collection, only when a pass cannot prove that it holds the top k. The scores are
 * exact in every case; only chunks tied with the k-th may be others than a full sort by id would pick.
 *
 * The search thread sums the same scores from word postings it keeps (lexical-postings.ts),
 * without calling bm25() per match; these passes rank what it cannot: searches with a metadata
 * filter, words that are not one token each, and searches where no postings are kept
 * (LEXICAL_POSTINGS_MB=0).
 */
import type Database from 'better-sqlite3';
import type { SearchHit } from '../../schema/domain.ts';
import { HIT_COLUMNS, keyedIdsSql, keyedRowsSql, rankKeyedRows, rowToHit, type HitRow, type KeyedHitRow } from './chunk-hits.ts';
import type { MetadataFilter } from '../../schema/metadata-filter.ts';
import { FILTER_DEEPER, FILTER_MARGIN } from './filtered-chunks.ts';
import { searchFilter, type KeptFilterMatches } from './kept-filter-matches.ts';
import { metadataFilterSql, type SqlCondition } from './metadata-filter.ts';
import { lexicalTableName } from './migrations.ts';
import { capOf, commonPhrases, phrasesBelow, weighPhrases, type WeighedPhrase } from './lexical-pruning.ts';
import { indexTotals } from './fts5-records.ts';
import { prepared } from './statements.ts';
import type { LexicalPostings } from './lexical-postings.ts';

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

/** The query's words as FTS5 phrases (each quoted, so none is read as query syntax). */
export function lexicalPhrases(text: string): string[] {
  const words = [...new Set((text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []))];
  const content = words.filter((word) => !STOPWORDS.has(word));
  return (content.length > 0 ? content : words).slice(0, MAX_QUERY_TERMS).map((word) => `"${word}"`);
}

/** Arguments of one lexical ranking in a collection. */
export interface LexicalSearch {
  readonly collection: string;
  /** Names the collection's lexical index (migrations.ts lexicalTableName). */
  readonly collectionRowId: number;
  /** With the row id, tells a collection from an earlier one of the same name. */
  readonly collectionCreatedAt: number;
  readonly text: string;
  readonly k: number;
  readonly filter?: MetadataFilter;
}

/** Matches of the collection's index ranked before any chunk row is read: at least this many, or 4k. */
const FIRST_DEPTH = 200;
/**
 * How much deeper a pass looks, once, when chunks the filter drops crowd its depth; past that
 * the filtered ranking of every match is the cheaper way.
 */
const FILTERED_DEPTH_FACTOR = 4;

/**
 * The k chunks of the collection with the best BM25, best first; score is -bm25 (higher is better).
 * With `postings` (the lexical search thread's), the ranking sums the scores from the postings
 * kept there (lexical-postings.ts), a filtered one reading deeper and keeping the matching chunks
 * (filteredFromPostings); otherwise, when the query's words do not each tokenize to one stem, or
 * when a filter matches too few chunks for that, FTS5 ranks in passes (below).
 */
export function searchLexical(db: Database.Database, search: LexicalSearch, postings: LexicalPostings | null = null, filters: KeptFilterMatches | null = null): Omit<SearchHit, 'signals'>[] {
  const phrases = lexicalPhrases(search.text);
  if (phrases.length === 0) return [];
  if (postings !== null) {
    const words = phrases.map((phrase) => phrase.slice(1, -1));
    const hits = search.filter === undefined ? fromPostings(db, postings, search, words) : filteredFromPostings(db, postings, search, words, filters);
    if (hits !== null) return hits;
  }
  const table = lexicalTableName(search.collectionRowId);
  const condition = search.filter === undefined ? { sql: '1', params: [] } : metadataFilterSql(search.filter, 'c');
  const { rows } = indexTotals(db, table);
  const weighed = phrases.length > 1 ? weighPhrases(db, table, phrases, rows) : [];
  const without = (left: readonly WeighedPhrase[]) =>
    left.length === 0 ? phrases : weighed.filter((p) => !left.includes(p)).map((p) => p.phrase);
  const firstDepth = Math.max(FIRST_DEPTH, 4 * search.k);
  let depth = firstDepth;
  let left = commonPhrases(weighed, rows);
  for (;;) {
    const matches = indexMatches(db, table, without(left), left, depth);
    const answer = collectionTop(db, search, condition, matches);
    if (answer.settled) return answer.hits;
    // What kept the pass from settling says what to do: a k-th below the left-out words' caps
    // shows which of them still cannot lift an unseen chunk above it; a pass that read every
    // match of its words and found fewer than k keeps one more word. A pass cut short of the k-th
    // means the filter dropped most of its matches: it looks once deeper, and past that the
    // filtered ranking of every match is the cheaper way.
    if (answer.kthScore !== undefined && answer.kthScore < matches.cap) left = phrasesBelow(weighed, answer.kthScore);
    else if (matches.cut === -Infinity && left.length > 0) left = left.slice(0, -1);
    else if (matches.cut !== -Infinity && depth === firstDepth) depth *= FILTERED_DEPTH_FACTOR;
    else return collectionRanking(db, table, search, phrases, condition);
  }
}

/** The collection as the postings know it. */
const postingsCollection = (search: LexicalSearch) => ({ name: search.collection, rowId: search.collectionRowId, createdAt: search.collectionCreatedAt });

/** The k best chunks by the postings (null when the words do not each tokenize to one stem). */
function fromPostings(db: Database.Database, postings: LexicalPostings, search: LexicalSearch, words: readonly string[]): Omit<SearchHit, 'signals'>[] | null {
  const scores = postings.rank(postingsCollection(search), words, search.k);
  if (scores === null) return null;
  const rows = prepared(db, keyedRowsSql('1')).all(JSON.stringify([...scores.keys()]), search.collection) as KeyedHitRow[];
  return rankKeyedRows(rows, scores);
}

/** Past this depth a filtered ranking from the postings would check too many chunks against the filter: the passes rank it. */
const FILTERED_POSTINGS_MAX_DEPTH = 5_000;

/**
 * A filtered ranking from the postings: the collection's best k over the filter's share (with
 * FILTER_MARGIN), ranked exactly as the unfiltered ranking is, of which the matching ones are the
 * answer when at least k match or the ranking held every match (a matching chunk ranked above the
 * k-th matching one is among them). When fewer match (the query's words sit mostly outside the
 * filter), it reads FILTER_DEEPER times deeper, up to FILTERED_POSTINGS_MAX_DEPTH. Null past that
 * depth, or when the filter matches so few chunks that the first depth would pass it: the passes
 * rank the filtered matches.
 * The filter is evaluated per document (filtered-chunks.ts), then on these candidates alone, or
 * they are looked up among the filter's chunks the thread keeps (kept-filter-matches.ts).
 */
function filteredFromPostings(db: Database.Database, postings: LexicalPostings, search: LexicalSearch, words: readonly string[], filters: KeptFilterMatches | null): Omit<SearchHit, 'signals'>[] | null {
  const filtered = searchFilter(db, search, filters);
  if (filtered.count === 0) return [];
  const { rows } = indexTotals(db, lexicalTableName(search.collectionRowId));
  let depth = Math.ceil(search.k * FILTER_MARGIN * Math.max(1, rows) / filtered.count);
  if (depth > FILTERED_POSTINGS_MAX_DEPTH) return null;
  for (;;) {
    const scores = postings.rank(postingsCollection(search), words, depth);
    if (scores === null) return null;
    const matching = filtered.matching([...scores.keys()].map(BigInt));
    if (matching.size >= search.k || scores.size < depth) {
      const kept = new Map([...scores].filter(([key]) => matching.has(BigInt(key))));
      const keptRows = prepared(db, keyedRowsSql('1')).all(JSON.stringify([...kept.keys()]), search.collection) as KeyedHitRow[];
      return rankKeyedRows(keptRows, kept).slice(0, search.k);
    }
    if (depth === FILTERED_POSTINGS_MAX_DEPTH) return null;
    depth = Math.min(FILTERED_POSTINGS_MAX_DEPTH, depth * FILTER_DEEPER);
  }
}

/** Every match in the collection scored and sorted, the filter applied before the sort. */
function collectionRanking(db: Database.Database, table: string, search: LexicalSearch, phrases: readonly string[], condition: SqlCondition): Omit<SearchHit, 'signals'>[] {
  return db.prepare(
    `SELECT ${HIT_COLUMNS}, -bm25(${table}) AS score
     FROM ${table} JOIN chunks c ON c.rowid = ${table}.rowid
     WHERE ${table} MATCH ? AND c.collection = ? AND ${condition.sql}
     ORDER BY score DESC, c.id LIMIT ?`,
  ).all(anyOf(phrases), search.collection, ...condition.params, search.k).map((row) => rowToHit(row as HitRow));
}

function anyOf(phrases: readonly string[]): string {
  return phrases.join(' OR ');
}

/** Some of the index's matches with their exact scores, and what a match left out may score. */
interface IndexMatches {
  readonly scores: Map<number, number>;
  /** At most the last score of a half cut at the depth; -Infinity when neither was cut. */
  readonly cut: number;
  /** Above any score of a chunk holding only left-out words; -Infinity when none was left out. */
  readonly cap: number;
}

/**
 * The best `depth` matches of the kept words, scored by bm25 over every word (kept and left out),
 * as the whole query scores them. Left-out words are asked in two halves, with and without them,
 * so each chunk is scored once over all the words. A chunk not among these scores no higher than a
 * half cut at `depth`, or, holding only left-out words, than their caps together.
 */
function indexMatches(db: Database.Database, table: string, kept: readonly string[], left: readonly WeighedPhrase[], depth: number): IndexMatches {
  const any = `(${anyOf(kept)})`;
  const others = `(${anyOf(left.map((p) => p.phrase))})`;
  const expressions = left.length === 0 ? [any] : [`${any} AND ${others}`, `${any} NOT ${others}`];
  const best = db.prepare(
    `SELECT rowid, -bm25(${table}) AS score FROM ${table} WHERE ${table} MATCH ? ORDER BY score DESC LIMIT ?`,
  ).raw();
  const scores = new Map<number, number>();
  let cut = -Infinity;
  for (const expression of expressions) {
    const rows = best.all(expression, depth) as [number, number][];
    for (const [rowid, score] of rows) scores.set(rowid, score);
    if (rows.length === depth) cut = Math.max(cut, rows.at(-1)![1]);
  }
  return { scores, cut, cap: left.length === 0 ? -Infinity : capOf(left) };
}

/** A pass's top k in the collection, and whether they are surely the top k. */
interface PassAnswer {
  readonly hits: Omit<SearchHit, 'signals'>[];
  readonly settled: boolean;
  /** The k-th hit's score, when the pass found k. */
  readonly kthScore: number | undefined;
}

/**
 * The collection's chunks (passing the filter) among a pass's matches, best first. They are the
 * top k when the k-th scores at least as high as anything the pass left out, or when it left
 * nothing out. Scores are exact either way; among chunks tied with the k-th, a pass may return
 * others than a full sort by chunk id would (the bench's pre-load repeats each text hundreds of
 * times, so a strict test never settled there). The caller runs every pass in one read
 * transaction (runSearch), so all see the same rows.
 */
function collectionTop(db: Database.Database, search: LexicalSearch, condition: SqlCondition, matches: IndexMatches): PassAnswer {
  // Rank by rowid and id alone, then read the k best whole: a pass can name hundreds of chunks.
  const ids = db.prepare(keyedIdsSql(condition.sql)).raw()
    .all(JSON.stringify([...matches.scores.keys()]), search.collection, ...condition.params) as [number, string][];
  const best = ids
    .sort(([a, idA], [b, idB]) => matches.scores.get(b)! - matches.scores.get(a)! || (idA < idB ? -1 : idA > idB ? 1 : 0))
    .slice(0, search.k);
  const rows = db.prepare(keyedRowsSql('1')).all(JSON.stringify(best.map(([key]) => key)), search.collection) as KeyedHitRow[];
  const hits = rankKeyedRows(rows, matches.scores);
  const kthScore = hits[search.k - 1]?.score;
  const bound = Math.max(matches.cut, matches.cap);
  const settled = kthScore === undefined ? bound === -Infinity : kthScore >= bound;
  return { hits, settled, kthScore };
}
