/**
 * `npm run eval:tune`: how HYBRID's fusion weights (stores/rank-fusion.ts) were chosen, on pages
 * `npm run eval` never asks about, so the eval's figures are not fitted to its own queries.
 * Indexes the same corpus as the eval, asks the NAME line of every page outside the eval's
 * EVAL_QUERIES (default 600), reads each ranking as deep as HYBRID does for the eval's k, and
 * prints hit@5, MRR@10 and nDCG@10 of LEXICAL, VECTOR and the fusion at each lexical weight
 * from 0.5 to 0.95; the best mean of the three is the one to put in FUSION_WEIGHTS
 * (the default) or, for another embedder, in HYBRID_LEXICAL_WEIGHT.
 */
import { fuseRankings, fusionDepth, type Ranking } from '../stores/rank-fusion.ts';
import { PROJECT_ROOT } from '../supervisor/node-command.ts';
import { rankingMetrics } from './eval-metrics.ts';
import { EVAL_COLLECTION, EVAL_HITS, heldOutPages, pageRank, withIndexedCorpus } from './eval-index.ts';

const EVAL_QUERIES = Number(process.env.EVAL_QUERIES ?? 600);
const WEIGHTS = Array.from({ length: 10 }, (_, i) => 0.5 + i * 0.05);
const log = (message: string) => console.error(`[tune] ${message}`);

await withIndexedCorpus(PROJECT_ROOT, log, async ({ store, embedder, pages }) => {
  const held = heldOutPages(pages, EVAL_QUERIES, pages.length);
  const depth = fusionDepth(EVAL_HITS);
  const queries: { id: string; rankings: Ranking[] }[] = [];
  for (const page of held) {
    const [vector] = await embedder.embed([page.query]);
    const search = { collection: EVAL_COLLECTION, text: page.query, vector: vector!, k: depth };
    queries.push({
      id: page.id,
      rankings: [
        { signal: 'VECTOR', hits: await store.search({ ...search, mode: 'VECTOR' }) },
        { signal: 'LEXICAL', hits: await store.search({ ...search, mode: 'LEXICAL' }) },
      ],
    });
  }
  log(`${queries.length} held-out queries, each ranking read ${depth} deep`);
  const row = (label: string, metrics: ReturnType<typeof rankingMetrics>) =>
    console.log(`| ${label} | ${metrics.hitAt5} | ${metrics.mrrAt10} | ${metrics.ndcgAt10} |`);
  console.log('| ranking | hit@5 | MRR@10 | nDCG@10 |\n| --- | --- | --- | --- |');
  for (const index of [1, 0]) {
    row(queries[0]!.rankings[index]!.signal, rankingMetrics(queries.map((q) => pageRank(q.rankings[index]!.hits.slice(0, EVAL_HITS), q.id))));
  }
  let best = { weight: 0, mean: -1 };
  for (const weight of WEIGHTS) {
    const weights = { LEXICAL: weight, VECTOR: 1 - weight };
    const metrics = rankingMetrics(queries.map((q) => pageRank(fuseRankings(q.rankings, EVAL_HITS, weights), q.id)));
    row(`HYBRID, lexical weight ${weight.toFixed(2)}`, metrics);
    const mean = (metrics.hitAt5 + metrics.mrrAt10 + metrics.ndcgAt10) / 3;
    if (mean > best.mean + 1e-9) best = { weight, mean };
  }
  console.log(`\nbest lexical weight on ${queries.length} held-out queries: ${best.weight.toFixed(2)}`);
});
