/**
 * Reciprocal rank fusion (Cormack, Clarke & Büttcher, SIGIR 2009): a hit's fused score is the sum
 * over the rankings that found it of 1 / (RRF_K + rank). It needs no score calibration between
 * BM25 and cosine, which live on unrelated scales; 60 is the constant of the paper and of
 * Atlas `$rankFusion`.
 */
import type { SearchHit, SearchSignal } from '../schema/domain.ts';

export const RRF_K = 60;

/** How deep each ranking is read before fusing k hits: deeper lists let a hit found by both rise. */
export function fusionDepth(k: number): number {
  return Math.max(50, 2 * k);
}

/** One signal's ranking, best first, its hits carrying that signal alone. */
export interface Ranking {
  readonly signal: SearchSignal;
  readonly hits: readonly SearchHit[];
}

/** Fuses rankings into at most k hits, best first; ties broken by chunk id so the order is stable. */
export function fuseRankings(rankings: readonly Ranking[], k: number): SearchHit[] {
  const fused = new Map<string, { hit: SearchHit; score: number; signals: SearchHit['signals'][number][] }>();
  for (const { signal, hits } of rankings) {
    hits.forEach((hit, index) => {
      const rank = index + 1;
      const entry = fused.get(hit.chunkId) ?? { hit, score: 0, signals: [] };
      entry.score += 1 / (RRF_K + rank);
      entry.signals.push({ signal, rank, score: hit.score });
      fused.set(hit.chunkId, entry);
    });
  }
  return [...fused.values()]
    .sort((a, b) => b.score - a.score || (a.hit.chunkId < b.hit.chunkId ? -1 : a.hit.chunkId > b.hit.chunkId ? 1 : 0))
    .slice(0, k)
    .map(({ hit, score, signals }) => ({ ...hit, score, signals }));
}

/** A single ranking's hits, each marked with its signal and rank. */
export function withSignal(signal: SearchSignal, hits: readonly Omit<SearchHit, 'signals'>[]): SearchHit[] {
  return hits.map((hit, index) => ({ ...hit, signals: [{ signal, rank: index + 1, score: hit.score }] }));
}
