/**
 * HYBRID ranking, the same in every store: relative score fusion, a convex combination of each
 * signal's min-max normalised scores (Weaviate's `relativeScoreFusion`; Atlas `$scoreFusion`
 * with `minMaxScaler` and weights). Each ranking, read `fusionDepth(k)` deep, has its scores
 * scaled to 0..1 (its best hit 1, the last one read 0); a hit's fused score is the sum over the
 * rankings that found it of the signal's weight times its scaled score.
 *
 * Why not reciprocal rank fusion with equal weights (what HYBRID did first): RRF throws the
 * scores away, so a hit that one ranking puts far ahead of the rest gains no more than one that
 * barely leads, and equal weights let the weaker ranking pull the better one down. With the
 * hashing embedder the vector ranking is a weaker copy of the lexical one (the same words, no
 * stemming, no term weighting): on the man-page eval, equal-weight RRF scored below LEXICAL alone.
 */
import type { SearchHit, SearchSignal } from '../schema/domain.ts';

/**
 * Weight of each signal (they sum to 1). Tuned with `npm run eval:tune` (bench/fusion-tune.ts) on
 * man pages that `npm run eval` never asks about, with the default hashing embedder: lexical
 * weights from 0.5 to 0.95 in steps of 0.05, read at the eval's depth, best mean of hit@5,
 * MRR@10 and nDCG@10. A semantic embedder (Ollama) deserves its own tuning: its vector ranking
 * is not a copy of the lexical one.
 */
export const FUSION_WEIGHTS: Readonly<Record<SearchSignal, number>> = { LEXICAL: 0.9, VECTOR: 0.1 };

/**
 * The weights for a lexical weight from 0 to 1 (the vector ranking gets the rest), or
 * FUSION_WEIGHTS when none is given. A semantic embedder's vector ranking may deserve more than the
 * hashing embedder's 0.1: the search API's `lexicalWeight` and HYBRID_LEXICAL_WEIGHT set it.
 */
export function fusionWeights(lexicalWeight?: number): Readonly<Record<SearchSignal, number>> {
  return lexicalWeight === undefined ? FUSION_WEIGHTS : { LEXICAL: lexicalWeight, VECTOR: 1 - lexicalWeight };
}

/** How deep each ranking is read before fusing k hits: deeper lists let a hit found by both rise. */
export function fusionDepth(k: number): number {
  return Math.max(50, 2 * k);
}

/** A hit as one ranking reports it: its score is that signal's own (higher is better). */
export type RankedHit = Omit<SearchHit, 'signals'>;

/** One signal's ranking, best first. */
export interface Ranking {
  readonly signal: SearchSignal;
  readonly hits: readonly RankedHit[];
}

/**
 * Fuses rankings into at most k hits, best first; each hit lists the signals that found it with
 * its rank and own score in each. Ties are broken by chunk id so the order is stable.
 */
export function fuseRankings(
  rankings: readonly Ranking[], k: number, weights: Readonly<Record<SearchSignal, number>> = FUSION_WEIGHTS,
): SearchHit[] {
  const fused = new Map<string, { hit: RankedHit; score: number; signals: SearchHit['signals'][number][] }>();
  for (const { signal, hits } of rankings) {
    const scaled = minMaxScaler(hits);
    hits.forEach((hit, index) => {
      const entry = fused.get(hit.chunkId) ?? { hit, score: 0, signals: [] };
      entry.score += weights[signal] * scaled(hit.score);
      entry.signals.push({ signal, rank: index + 1, score: hit.score });
      fused.set(hit.chunkId, entry);
    });
  }
  return [...fused.values()]
    .sort((a, b) => b.score - a.score || (a.hit.chunkId < b.hit.chunkId ? -1 : a.hit.chunkId > b.hit.chunkId ? 1 : 0))
    .slice(0, k)
    .map(({ hit, score, signals }) => ({ ...hit, score, signals }));
}

/** Scales a ranking's scores to 0..1 (best 1, worst 0); a ranking whose scores are all equal scales to 1. */
function minMaxScaler(hits: readonly RankedHit[]): (score: number) => number {
  const scores = hits.map((hit) => hit.score);
  const max = Math.max(...scores);
  const min = Math.min(...scores);
  return max === min ? () => 1 : (score) => (score - min) / (max - min);
}

/** A single ranking's hits, each marked with its signal and rank. */
export function withSignal(signal: SearchSignal, hits: readonly RankedHit[]): SearchHit[] {
  return hits.map((hit, index) => ({ ...hit, signals: [{ signal, rank: index + 1, score: hit.score }] }));
}
