/**
 * A collection's graph as a search sees it: the graph as far as the background follower has
 * brought it, and the changes it has not applied yet, read in the search's own snapshot. The
 * search ranks the graph's matches and the changed chunks together instead of inserting those
 * chunks first: an insert costs ~0.35 ms, so catching up 500 changes inside a search held it
 * ~175 ms, while scoring them directly takes well under a millisecond.
 */
import type { IndexMatches } from './vector-search.ts';

/** What AnnIndexes.view returns: the graph, and what changed since it was last brought up to date. */
export interface AnnView {
  readonly index: {
    size(): number;
    search(vector: Float32Array, k: number, threads: number): { keys: BigUint64Array; distances: Float32Array };
  };
  /**
   * Every chunk rowid changed since the graph's last applied change, with its vector now, or null
   * when it is gone: the graph's own entry for such a key is stale and is never used.
   */
  readonly pending: ReadonlyMap<bigint, Float32Array | null>;
}

/** The k nearest chunks over the graph and its pending changes, best first, with exact cosine distances. */
export function nearestInView(view: AnnView, query: Float32Array, k: number): IndexMatches {
  const candidates: { key: bigint; distance: number }[] = [];
  const size = view.index.size();
  if (size > 0) {
    // Stale keys among the graph's matches are dropped, so ask for as many more as could be.
    const found = view.index.search(query, Math.min(size, k + view.pending.size), 1);
    found.keys.forEach((key, i) => {
      if (!view.pending.has(key)) candidates.push({ key, distance: found.distances[i]! });
    });
  }
  for (const [key, vector] of view.pending) {
    if (vector !== null) candidates.push({ key, distance: cosineDistance(query, vector) });
  }
  const best = candidates.sort((a, b) => a.distance - b.distance).slice(0, k);
  return { keys: BigUint64Array.from(best, (c) => c.key), distances: Float32Array.from(best, (c) => c.distance) };
}

/** 1 − cosine, the distance the graph's metric reports; a vector with no direction is at 1. */
function cosineDistance(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let normA = 0;
  let normB = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    normA += a[i]! * a[i]!;
    normB += b[i]! * b[i]!;
  }
  return normA === 0 || normB === 0 ? 1 : 1 - dot / Math.sqrt(normA * normB);
}
