/**
 * Lexical ranking over the FTS5 index (migration 5): BM25 over the porter-stemmed chunk text,
 * heading and title. The query text is reduced to its words, each quoted, joined by OR, so no
 * user input is read as FTS5 query syntax and a chunk matching more (and rarer) words ranks higher.
 *
 * FTS5 scores every match before it sorts, and one common word can match most of the index. So
 * the ranking first takes the index's best matches of the rarer words alone (lexical-pruning.ts),
 * then reads only those chunk rows; it falls back to wider or deeper passes, and at last to every
 * match in the collection, only when a pass cannot prove that it holds the top k. A collection
 * with a small share of the index goes straight to its own matches. The scores are exact in
 * every case; only chunks tied with the k-th may be others than a full sort by id would pick.
 */
import type Database from 'better-sqlite3';
import type { SearchHit } from '../../schema/domain.ts';
import { HIT_COLUMNS, keyedIdsSql, keyedRowsSql, rankKeyedRows, rowToHit, type HitRow, type KeyedHitRow } from './chunk-hits.ts';
import type { MetadataFilter } from '../../schema/metadata-filter.ts';
import { metadataFilterSql, type SqlCondition } from './metadata-filter.ts';
import { capOf, commonPhrases, indexRows, phrasesBelow, weighPhrases, type WeighedPhrase } from './lexical-pruning.ts';

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
/**
 * How much deeper a pass looks, once, when other collections' chunks crowd its depth: in the
 * bench's store (a collection of 100k among 150k, the others holding the same texts and whole
 * pages of them) 42 of 400 titles were cut short; four times deeper settles them all, and p95 of
 * the ranking fell from 70 to 25 ms where scoring the collection's every match took 80.
 */
const CROWDED_DEPTH_FACTOR = 4;
/** A collection holding less than this share of the index skips the passes (holdsShare). */
const SMALL_SHARE = 1 / 8;
/** The k chunks of the collection with the best BM25, best first; score is -bm25 (higher is better). */
export function searchLexical(db: Database.Database, search: LexicalSearch): Omit<SearchHit, 'signals'>[] {
  const phrases = lexicalPhrases(search.text);
  if (phrases.length === 0) return [];
  const condition = search.filter === undefined ? { sql: '1', params: [] } : metadataFilterSql(search.filter, 'c');
  const rows = indexRows(db);
  if (!holdsShare(db, search.collection, rows)) return collectionRanking(db, search, phrases, condition);
  const weighed = phrases.length > 1 ? weighPhrases(db, phrases, rows) : [];
  const without = (left: readonly WeighedPhrase[]) =>
    left.length === 0 ? phrases : weighed.filter((p) => !left.includes(p)).map((p) => p.phrase);
  const firstDepth = Math.max(GLOBAL_DEPTH, 4 * search.k);
  let depth = firstDepth;
  let left = commonPhrases(weighed, rows);
  for (;;) {
    const matches = indexMatches(db, without(left), left, depth);
    const answer = collectionTop(db, search, condition, matches);
    if (answer.settled) return answer.hits;
    // What kept the pass from settling says what to do: a k-th below the left-out words' caps
    // shows which of them still cannot lift an unseen chunk above it; a pass that read every
    // match of its words and found fewer than k keeps one more word. A pass cut short of the
    // collection's k-th means other collections' chunks crowd the index's best: it looks once
    // deeper, and past that the collection's own ranking is the cheaper way.
    if (answer.kthScore !== undefined && answer.kthScore < matches.cap) left = phrasesBelow(weighed, answer.kthScore);
    else if (matches.cut === -Infinity && left.length > 0) left = left.slice(0, -1);
    else if (matches.cut !== -Infinity && depth === firstDepth) depth *= CROWDED_DEPTH_FACTOR;
    else return collectionRanking(db, search, phrases, condition);
  }
}

/**
 * Whether the collection holds at least SMALL_SHARE of the index, counted no further than that.
 * A smaller one is ranked by collectionRanking alone: passes over the whole index would mostly
 * read other collections' chunks (measured: 52 against 23 ms at p50 for a collection of 2.4k
 * chunks among 110k).
 */
function holdsShare(db: Database.Database, collection: string, rows: number): boolean {
  const enough = Math.ceil(rows * SMALL_SHARE);
  const counted = db.prepare('SELECT count(*) FROM (SELECT 1 FROM chunks WHERE collection = ? LIMIT ?)').pluck().get(collection, enough) as number;
  return counted >= enough;
}

/** Every match in the collection scored and sorted: SQLite drives it from the collection's chunks when they are few. */
function collectionRanking(db: Database.Database, search: LexicalSearch, phrases: readonly string[], condition: SqlCondition): Omit<SearchHit, 'signals'>[] {
  return db.prepare(
    `SELECT ${HIT_COLUMNS}, -bm25(chunks_fts) AS score
     FROM chunks_fts JOIN chunks c ON c.rowid = chunks_fts.rowid
     WHERE chunks_fts MATCH ? AND c.collection = ? AND ${condition.sql}
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
function indexMatches(db: Database.Database, kept: readonly string[], left: readonly WeighedPhrase[], depth: number): IndexMatches {
  const any = `(${anyOf(kept)})`;
  const others = `(${anyOf(left.map((p) => p.phrase))})`;
  const expressions = left.length === 0 ? [any] : [`${any} AND ${others}`, `${any} NOT ${others}`];
  const best = db.prepare(
    'SELECT rowid, -bm25(chunks_fts) AS score FROM chunks_fts WHERE chunks_fts MATCH ? ORDER BY score DESC LIMIT ?',
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
