/**
 * `npm run eval`: retrieval quality of LEXICAL, VECTOR and HYBRID search, side by side in one run,
 * on Debian's man pages (see eval-corpus.ts): each NAME line is a query, its page the answer.
 * Pages are chunked by the chunk stage's own splitter, embedded with the configured embedder
 * (the hashing embedder by default; EMBEDDER=ollama with OLLAMA_HOST for Ollama) and indexed
 * through the store the index actor uses. A page's rank is the rank of its first chunk among the
 * hits. Prints hit@5, MRR@10 and nDCG@10 and writes bench/results/eval-<timestamp>.json.
 *
 * EVAL_QUERIES (default 600) queries are taken evenly across the pages; every page is indexed.
 * HYBRID's fusion weights were tuned on other pages (fusion-tune.ts), never on these queries.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { SearchMode } from '../schema/domain.ts';
import { PROJECT_ROOT } from '../supervisor/node-command.ts';
import { rankingMetrics } from './eval-metrics.ts';
import { EVAL_COLLECTION, EVAL_HITS, evalPages, pageRank, withIndexedCorpus } from './eval-index.ts';

const QUERIES = Number(process.env.EVAL_QUERIES ?? 600);
const MODES: readonly SearchMode[] = ['LEXICAL', 'VECTOR', 'HYBRID'];
const log = (message: string) => console.error(`[eval] ${message}`);

await withIndexedCorpus(PROJECT_ROOT, log, async ({ store, embedder, identity, pages, source, chunkCount }) => {
  const judged = evalPages(pages, QUERIES);
  const results: Record<string, ReturnType<typeof rankingMetrics>> = {};
  for (const mode of MODES) {
    const ranks: (number | null)[] = [];
    for (const page of judged) {
      const [vector] = mode === 'LEXICAL' ? [undefined] : await embedder.embed([page.query]);
      const hits = await store.search({ collection: EVAL_COLLECTION, mode, text: page.query, k: EVAL_HITS, ...(vector ? { vector } : {}) });
      ranks.push(pageRank(hits, page.id));
    }
    results[mode] = rankingMetrics(ranks);
    log(`${mode}: ${JSON.stringify(results[mode])}`);
  }

  console.log(`\nCorpus: ${pages.length} man pages (${chunkCount} chunks), ${source}; ${judged.length} queries; embedder ${identity.name} (${identity.dimension})\n`);
  console.log('| mode | hit@5 | MRR@10 | nDCG@10 |');
  console.log('| --- | --- | --- | --- |');
  for (const mode of MODES) console.log(`| ${mode} | ${results[mode]!.hitAt5} | ${results[mode]!.mrrAt10} | ${results[mode]!.ndcgAt10} |`);
  const at = new Date().toISOString();
  const resultsDir = path.join(PROJECT_ROOT, 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  const file = path.join(resultsDir, `eval-${at.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify({ at, source, pages: pages.length, chunks: chunkCount, queries: judged.length, embedder: identity, results }, null, 2)}\n`);
  log(`wrote ${path.relative(PROJECT_ROOT, file)}`);
});
