/**
 * The approximate index as the bench sees it: how long the gateway's search thread takes to bring
 * its index up to date with a pre-loaded collection, the size of the saved index, and recall@10 of
 * the gateway's VECTOR search against exact KNN over the same store, on the same queries.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Embedder } from '../embedders/embedder.ts';
import type { MetadataFilter } from '../schema/metadata-filter.ts';
import type { Store } from '../stores/store.ts';
import { FLAT_MAX_CHUNKS } from '../stores/sqlite/ann-index.ts';
import { summarize, type LatencySummary } from './stats.ts';

/**
 * Waits until a saved index has applied every change of the collection, and is the kind it will
 * stay (a graph past `flatMaxChunks`: the scan answers until the graph grown beside it is done);
 * returns seconds waited and the index's size on disk.
 */
export async function waitForAnnIndex(dataDir: string, dbPath: string, collection: string, timeoutMs: number, flatMaxChunks = FLAT_MAX_CHUNKS): Promise<{ seconds: number; megabytes: number }> {
  const started = Date.now();
  const db = new Database(dbPath, { readonly: true });
  try {
    const latest = (db.prepare('SELECT max(seq) AS seq FROM chunk_changes WHERE collection = ?').get(collection) as { seq: number }).seq;
    const chunks = db.prepare('SELECT count(*) FROM chunks WHERE collection = ?').pluck().get(collection) as number;
    const kind = chunks > flatMaxChunks ? 'graph' : 'flat';
    const collectionId = (db.prepare('SELECT id FROM collections WHERE name = ?').get(collection) as { id: number }).id;
    const dir = path.join(dataDir, 'ann');
    for (;;) {
      const meta = existsSync(dir) ? readdirSync(dir).find((name) => name.startsWith(`c${collectionId}-`) && name.endsWith('.json')) : undefined;
      const saved = meta === undefined ? null : JSON.parse(readFileSync(path.join(dir, meta), 'utf8')) as { seq: number; index: string; recent?: number };
      // Caught up: every change taken, and none of them still waiting beside the graph.
      if (saved !== null && saved.seq >= latest && saved.index === kind && (saved.recent ?? 0) === 0) {
        // The graph (a scan saves none) and the float32 vectors saved beside it.
        const files = ['.usearch', '.vectors'].map((suffix) => path.join(dir, meta!.replace(/\.json$/, suffix))).filter((file) => existsSync(file));
        const bytes = files.reduce((sum, file) => sum + statSync(file).size, 0);
        return { seconds: Math.round((Date.now() - started) / 100) / 10, megabytes: Math.round(bytes / 1e5) / 10 };
      }
      if (Date.now() - started > timeoutMs) throw new Error(`the approximate index of "${collection}" did not catch up in ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  } finally {
    db.close();
  }
}

/**
 * recall@10: the share of the 10 approximate VECTOR hits that belong in the exact top 10. Duplicate
 * vectors make ids ambiguous (the pre-load repeats texts), so a hit counts when its score reaches
 * the exact 10th score. Also times the exact search in-process, for comparison. With a `filter`,
 * the exact top 10 is of the matching chunks (the approximate search is given the same filter).
 */
export async function recallAt10(
  collection: string, exactStore: Store, embedder: Embedder, queries: readonly string[],
  approximate: (query: string, vector: Float32Array) => Promise<readonly { score: number }[]>,
  filter?: MetadataFilter,
): Promise<{ recall: number; queries: number; exactMs: LatencySummary }> {
  let found = 0;
  const exactMs: number[] = [];
  for (const query of queries) {
    const [vector] = await embedder.embed([query]);
    const t0 = performance.now();
    const exact = await exactStore.search({ collection, vector: vector!, k: 10, mode: 'VECTOR', ...(filter === undefined ? {} : { filter }) });
    exactMs.push(performance.now() - t0);
    const hits = await approximate(query, vector!);
    const floor = exact.at(-1)!.score - 1e-5;
    found += Math.min(exact.length, hits.filter((hit) => hit.score >= floor).length);
  }
  return { recall: Math.round((found / (queries.length * 10)) * 1000) / 1000, queries: queries.length, exactMs: summarize(exactMs) };
}
