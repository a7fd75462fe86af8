/**
 * Which query words a BM25 ranking can leave out of its first pass (MaxScore, Turtle and Flood,
 * 1995). FTS5 scores every chunk that matches any word of an OR query before it sorts, and one
 * common word ("options", "node") can match most of the index; yet such a word adds little to any
 * chunk's score: at most idf × (k1 + 1), FTS5's bm25 having k1 = 1.2 and idf =
 * ln((rows − matches + 0.5) / (matches + 0.5)), floored at 1e-6. So a chunk holding none of the
 * rarer words scores below the sum of the common words' caps, and when the collection's k-th best
 * among the chunks that hold a rarer word scores above that sum, they are the top k.
 */
import type Database from 'better-sqlite3';

/** FTS5's bm25 k1 plus one: a word's share of a score never reaches idf times this. */
const TERM_FREQUENCY_CAP = 2.2;

/**
 * Words found in more than this share of the collection's index are left out of the first pass.
 * Any share is exact (the bound is checked); this one settled most bench queries at the first pass.
 */
const COMMON_SHARE = 1 / 20;

/** A quoted query word with the most any chunk can score for it. */
export interface WeighedPhrase {
  readonly phrase: string;
  /** Chunks in the collection's index that hold it. */
  readonly matches: number;
  /** Above any chunk's share of the score for this word. */
  readonly cap: number;
}

/**
 * The phrases with their caps, least informative (lowest cap) first. The caller's read
 * transaction makes these counts the ones bm25 sees.
 */
export function weighPhrases(db: Database.Database, table: string, phrases: readonly string[], rows: number): WeighedPhrase[] {
  const count = db.prepare(`SELECT count(*) FROM ${table} WHERE ${table} MATCH ?`).pluck();
  const weighed = phrases.map((phrase) => {
    const matches = count.get(phrase) as number;
    const idf = Math.max(1e-6, Math.log((rows - matches + 0.5) / (matches + 0.5)));
    // A margin for the float sums in C and here, which may round apart.
    return { phrase, matches, cap: idf * TERM_FREQUENCY_CAP * (1 + 1e-9) + 1e-12 };
  });
  return weighed.sort((a, b) => a.cap - b.cap);
}

/** The first pass's words to leave out: the common ones, never every word. */
export function commonPhrases(weighed: readonly WeighedPhrase[], rows: number): WeighedPhrase[] {
  const common = weighed.filter((p) => p.matches > rows * COMMON_SHARE);
  return common.length === weighed.length ? common.slice(0, -1) : common;
}

/**
 * The most words, least informative first, that can be left out once a chunk scoring `floor` is
 * known: their caps together stay below it, so a chunk holding only them cannot reach it.
 */
export function phrasesBelow(weighed: readonly WeighedPhrase[], floor: number): WeighedPhrase[] {
  let sum = 0;
  let count = 0;
  while (count < weighed.length - 1 && sum + weighed[count]!.cap < floor) sum += weighed[count++]!.cap;
  return weighed.slice(0, count);
}

/** The most a chunk holding only `left` words can score. */
export function capOf(left: readonly WeighedPhrase[]): number {
  return left.reduce((sum, p) => sum + p.cap, 0);
}
