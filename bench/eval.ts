/**
 * `npm run eval`: retrieval quality of LEXICAL, VECTOR and HYBRID search, side by side in one run,
 * on Debian's man pages (see eval-corpus.ts): each NAME line is a query, its page the answer.
 * Pages are chunked by the chunk stage's own splitter, embedded with the configured embedder
 * (the hashing embedder by default; EMBEDDER=ollama with OLLAMA_HOST for Ollama) and indexed
 * through the store the index actor uses. A page's rank is the rank of its first chunk among the
 * hits. Prints hit@5, MRR@10 and nDCG@10 and writes bench/results/eval-<timestamp>.json.
 *
 * EVAL_QUERIES (default 600) queries are taken evenly across the pages; every page is indexed.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEmbedder } from '../config/components.ts';
import { readConfig } from '../config/config.ts';
import { textToEmbed } from '../embedders/text-to-embed.ts';
import type { SearchMode } from '../schema/domain.ts';
import { splitSections } from '../services/chunk/split-sections.ts';
import { openSqliteStore } from '../stores/sqlite/sqlite-store.ts';
import { loadManPages } from './eval-corpus.ts';
import { rankingMetrics } from './eval-metrics.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const QUERIES = Number(process.env.EVAL_QUERIES ?? 600);
const MODES: readonly SearchMode[] = ['LEXICAL', 'VECTOR', 'HYBRID'];
/** Chunk hits read per query: enough to see 10 distinct pages. */
const HITS = 60;
const COLLECTION = 'manpages';
const log = (message: string) => console.error(`[eval] ${message}`);

const config = readConfig(process.env);
const embedder = createEmbedder(config);
const identity = await embedder.identity();
const { pages, source } = loadManPages(path.join(ROOT, '.cache'));
log(`${pages.length} pages from ${source}`);
const dir = mkdtempSync(path.join(tmpdir(), 'rag-eval-'));
// Exact vector search on the calling thread: the eval measures ranking quality, not the index.
const store = openSqliteStore({ path: path.join(dir, 'eval.sqlite'), searchThreads: 0 });
try {
  let chunkCount = 0;
  for (const page of pages) {
    const chunks = await splitSections(page.document);
    const vectors = await embedder.embed(chunks.map(textToEmbed));
    await store.createJob({ id: page.id, collection: COLLECTION, documentId: page.id, priority: 'NORMAL' });
    await store.indexDocument({
      jobId: page.id,
      document: { id: page.id, collection: COLLECTION, title: null, mimeType: 'text/plain', sourceUrl: null, metadata: {}, contentHash: null },
      embedder: identity,
      chunks: chunks.map((chunk, i) => ({ id: `${page.id}:${chunk.ordinal}`, ordinal: chunk.ordinal, text: chunk.text, heading: chunk.heading, vector: vectors[i]! })),
    });
    chunkCount += chunks.length;
  }
  log(`indexed ${chunkCount} chunks with ${identity.name}`);

  const step = Math.max(1, pages.length / QUERIES);
  const judged = Array.from({ length: Math.min(QUERIES, pages.length) }, (_, i) => pages[Math.floor(i * step)]!);
  const results: Record<string, ReturnType<typeof rankingMetrics>> = {};
  for (const mode of MODES) {
    const ranks: (number | null)[] = [];
    for (const page of judged) {
      const [vector] = mode === 'LEXICAL' ? [undefined] : await embedder.embed([page.query]);
      const hits = await store.search({ collection: COLLECTION, mode, text: page.query, k: HITS, ...(vector ? { vector } : {}) });
      const documents = [...new Set(hits.map((hit) => hit.documentId))];
      const rank = documents.indexOf(page.id);
      ranks.push(rank < 0 ? null : rank + 1);
    }
    results[mode] = rankingMetrics(ranks);
    log(`${mode}: ${JSON.stringify(results[mode])}`);
  }

  console.log(`\nCorpus: ${pages.length} man pages (${chunkCount} chunks), ${source}; ${judged.length} queries; embedder ${identity.name} (${identity.dimension})\n`);
  console.log('| mode | hit@5 | MRR@10 | nDCG@10 |');
  console.log('| --- | --- | --- | --- |');
  for (const mode of MODES) console.log(`| ${mode} | ${results[mode]!.hitAt5} | ${results[mode]!.mrrAt10} | ${results[mode]!.ndcgAt10} |`);
  const at = new Date().toISOString();
  const resultsDir = path.join(ROOT, 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  const file = path.join(resultsDir, `eval-${at.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify({ at, source, pages: pages.length, chunks: chunkCount, queries: judged.length, embedder: identity, results }, null, 2)}\n`);
  log(`wrote ${path.relative(ROOT, file)}`);
} finally {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
