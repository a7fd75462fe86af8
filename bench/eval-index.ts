/**
 * The eval's corpus in a store, and which pages are asked about: shared by `npm run eval` and by
 * the fusion tuning (fusion-tune.ts), which must index the same way but ask other pages.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createEmbedder } from '../config/components.ts';
import { readConfig } from '../config/config.ts';
import type { Embedder } from '../embedders/embedder.ts';
import { textToEmbed } from '../embedders/text-to-embed.ts';
import type { SearchHit } from '../schema/domain.ts';
import { splitSections } from '../services/chunk/split-sections.ts';
import { openSqliteStore } from '../stores/sqlite/sqlite-store.ts';
import type { Store } from '../stores/store.ts';
import type { EmbedderIdentity } from '../schema/domain.ts';
import { loadManPages, type ManPage } from './eval-corpus.ts';

/** The man pages indexed in a scratch store with the configured embedder. */
export interface IndexedCorpus {
  readonly store: Store;
  readonly embedder: Embedder;
  readonly identity: EmbedderIdentity;
  readonly pages: readonly ManPage[];
  readonly source: string;
  readonly chunkCount: number;
}

/**
 * Indexes the man pages (cached under `<root>/.cache`) into a scratch store, runs `use`, then
 * removes the store. Vector search is exact, on the calling thread: this measures ranking
 * quality, not the approximate index.
 */
export async function withIndexedCorpus<T>(root: string, log: (message: string) => void, use: (corpus: IndexedCorpus) => Promise<T>): Promise<T> {
  const embedder = createEmbedder(readConfig(process.env));
  const identity = await embedder.identity();
  const { pages, source } = loadManPages(path.join(root, '.cache'));
  log(`${pages.length} pages from ${source}`);
  const dir = mkdtempSync(path.join(tmpdir(), 'rag-eval-'));
  const store = openSqliteStore({ path: path.join(dir, 'eval.sqlite'), searchThreads: false });
  try {
    const chunkCount = await indexPages(store, embedder, pages, EVAL_COLLECTION);
    log(`indexed ${chunkCount} chunks with ${identity.name}`);
    return await use({ store, embedder, identity, pages, source, chunkCount });
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Chunk hits read per query: enough to see 10 distinct pages. */
export const EVAL_HITS = 60;
/** The collection the eval indexes into. */
export const EVAL_COLLECTION = 'manpages';

/** Indexes every page (chunked by the chunk stage's splitter) into `collection`; returns the chunk count. */
export async function indexPages(store: Store, embedder: Embedder, pages: readonly ManPage[], collection: string): Promise<number> {
  const identity = await embedder.identity();
  let chunkCount = 0;
  for (const page of pages) {
    const chunks = await splitSections(page.document);
    const vectors = await embedder.embed(chunks.map(textToEmbed));
    await store.createJob({ id: page.id, collection, documentId: page.id, priority: 'NORMAL' });
    await store.indexDocument({
      jobId: page.id,
      document: { id: page.id, collection, title: null, mimeType: 'text/plain', sourceUrl: null, metadata: {}, contentHash: null },
      embedder: identity,
      chunks: chunks.map((chunk, i) => ({ id: `${page.id}:${chunk.ordinal}`, ordinal: chunk.ordinal, text: chunk.text, heading: chunk.heading, vector: vectors[i]! })),
    });
    chunkCount += chunks.length;
  }
  return chunkCount;
}

/** Indices of the `count` pages the eval asks about: spread evenly over all pages. */
function evalIndices(pageCount: number, count: number): number[] {
  const step = Math.max(1, pageCount / count);
  return Array.from({ length: Math.min(count, pageCount) }, (_, i) => Math.floor(i * step));
}

/** The pages `npm run eval` judges. */
export function evalPages(pages: readonly ManPage[], count: number): ManPage[] {
  return evalIndices(pages.length, count).map((i) => pages[i]!);
}

/**
 * Up to `count` pages that `npm run eval` with `evalCount` queries never asks about, spread
 * evenly over the rest: weights are tuned on these, so the eval's figures are not fitted to it.
 */
export function heldOutPages(pages: readonly ManPage[], evalCount: number, count: number): ManPage[] {
  const asked = new Set(evalIndices(pages.length, evalCount));
  const rest = pages.filter((_, i) => !asked.has(i));
  return evalPages(rest, count);
}

/** The 1-based rank of a page among the distinct documents of the hits, or null when absent. */
export function pageRank(hits: readonly Pick<SearchHit, 'documentId'>[], pageId: string): number | null {
  const rank = [...new Set(hits.map((hit) => hit.documentId))].indexOf(pageId);
  return rank < 0 ? null : rank + 1;
}
