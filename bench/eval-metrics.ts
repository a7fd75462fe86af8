/**
 * Ranking metrics with one relevant document per query: hit@5 (found in the top 5), MRR@10
 * (1/rank within the top 10), nDCG@10 (1/log2(rank + 1) within the top 10; the ideal DCG is 1).
 */

/** Mean metrics over queries; `ranks` holds the 1-based rank of each query's answer, or null when not found. */
export function rankingMetrics(ranks: readonly (number | null)[]): { hitAt5: number; mrrAt10: number; ndcgAt10: number } {
  const mean = (score: (rank: number) => number) =>
    Math.round((ranks.reduce<number>((sum, rank) => sum + (rank === null ? 0 : score(rank)), 0) / ranks.length) * 1000) / 1000;
  return {
    hitAt5: mean((rank) => (rank <= 5 ? 1 : 0)),
    mrrAt10: mean((rank) => (rank <= 10 ? 1 / rank : 0)),
    ndcgAt10: mean((rank) => (rank <= 10 ? 1 / Math.log2(rank + 1) : 0)),
  };
}
