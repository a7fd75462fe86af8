/**
 * `npm run bench:ann`: what the approximate index's HNSW parameters cost and give, on the vectors
 * the bench pre-loads (BENCH_PRELOAD_TEXTS, BENCH_ANN_CHUNKS, default 100k) and the bench's
 * queries. For each pair of links and build breadth (BENCH_ANN_BUILDS, JSON; by default the
 * index's own from stores/sqlite/ann-index.ts, then [32,128], [16,128] and [32,256]) it builds a
 * graph with usearch on every core, then for each
 * search breadth (BENCH_ANN_BREADTHS, default [512,1024]) reports recall@10 against an exact scan
 * (a hit counts when it scores at least the exact 10th) and the mean time of a query on one
 * thread. No store and no broker: the graph alone, as the search thread holds it.
 * BENCH_ANN_QUANTIZATION (i8, the index's, f16 or f32) sets the graph's vectors; BENCH_ANN_RESCORE=R
 * takes each query's R best from the graph and ranks them by their float32 vectors, as the index
 * does with the copy it keeps beside its graph (50 for k = 10; 0 takes the graph's own top 10).
 * Writes bench/results/ann-<timestamp>.json.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { HashingEmbedder } from '../embedders/hashing-embedder.ts';
import { GRAPH_PARAMETERS, graphOptions } from '../stores/sqlite/ann-index.ts';
import { cosineDistance } from '../stores/sqlite/ann-view.ts';
import { loadCorpus, queryTitles } from './corpus.ts';
import { PreloadTextSource, preloadTextsOf } from './preload.ts';
import { PROJECT_ROOT } from '../supervisor/node-command.ts';

const usearch = createRequire(import.meta.url)('usearch') as typeof import('usearch');
const CHUNKS = Number(process.env.BENCH_ANN_CHUNKS ?? 100_000);
const OWN: [number, number] = [GRAPH_PARAMETERS.connectivity, GRAPH_PARAMETERS.expansion_add];
const BUILDS: [number, number][] = process.env.BENCH_ANN_BUILDS ? JSON.parse(process.env.BENCH_ANN_BUILDS) : [OWN, [32, 128], [16, 128], [32, 256]];
const BREADTHS = JSON.parse(process.env.BENCH_ANN_BREADTHS ?? '[512,1024]') as number[];
const QUANTIZATION = process.env.BENCH_ANN_QUANTIZATION ?? 'i8';
if (!['f32', 'f16', 'i8'].includes(QUANTIZATION)) throw new Error(`BENCH_ANN_QUANTIZATION must be f32, f16 or i8, not "${QUANTIZATION}"`);
/** Candidates re-scored with float32 vectors (0: the graph's own top 10). */
const RESCORE = Number(process.env.BENCH_ANN_RESCORE ?? 50);
const QUERIES = 200;
const DIMENSION = 384;

const embedder = new HashingEmbedder({ dimension: DIMENSION });
const corpus = loadCorpus(path.join(PROJECT_ROOT, '.cache'));
const queries = await embedder.embed(queryTitles(corpus).slice(0, QUERIES));

const texts = preloadTextsOf(process.env);
const source = new PreloadTextSource(embedder, texts);
await source.prepare(corpus.documents);
const vectors = (await source.chunks(0, CHUNKS)).map((chunk) => chunk.vector);

/** The cosine similarity the index scores by. */
const cosine = (a: Float32Array, b: Float32Array): number => 1 - cosineDistance(a, b);
const tenthBest = queries.map((query) => vectors.map((vector) => cosine(vector, query)).sort((a, b) => b - a)[9]!);

const keys = BigUint64Array.from(vectors, (_, i) => BigInt(i));
const flat = new Float32Array(vectors.length * DIMENSION);
vectors.forEach((vector, i) => flat.set(vector, i * DIMENSION));
const options = (connectivity: number, expansionAdd: number, expansionSearch: number) => ({
  ...graphOptions(DIMENSION), connectivity, expansion_add: expansionAdd, expansion_search: expansionSearch,
  quantization: { f32: usearch.ScalarKind.F32, f16: usearch.ScalarKind.F16, i8: usearch.ScalarKind.I8 }[QUANTIZATION as 'f32'],
});
/** A query's 10 best: the graph's own, or its RESCORE best ranked again by their float32 vectors. */
const topTen = (index: InstanceType<typeof usearch.Index>, query: Float32Array): number[] => {
  const { keys: hits } = index.search(query, Math.max(10, RESCORE), 1);
  const found = Array.from(hits, Number);
  if (RESCORE === 0) return found.slice(0, 10);
  return found.map((key) => [key, cosine(vectors[key]!, query)] as const).sort((a, b) => b[1] - a[1]).slice(0, 10).map(([key]) => key);
};

console.error(`${vectors.length} vectors (${texts} texts), ${QUANTIZATION} graphs, re-scoring ${RESCORE}, ${QUERIES} queries, builds on ${availableParallelism()} threads`);
const rows = [];
for (const [links, buildBreadth] of BUILDS) {
  const built = new usearch.Index(options(links, buildBreadth, BREADTHS[0]!));
  const started = performance.now();
  built.add(keys, flat, availableParallelism());
  const buildSeconds = (performance.now() - started) / 1000;
  const file = path.join(PROJECT_ROOT, '.cache', `ann-params-${process.pid}.usearch`);
  built.save(file);
  for (const breadth of BREADTHS) {
    // The search breadth is fixed when an index is made: load the same graph under each.
    const index = new usearch.Index(options(links, buildBreadth, breadth));
    index.load(file);
    let found = 0;
    const t0 = performance.now();
    queries.forEach((query, q) => {
      for (const key of topTen(index, query)) if (cosine(vectors[key]!, query) >= tenthBest[q]! - 1e-6) found++;
    });
    const row = { links, buildBreadth, searchBreadth: breadth, buildSeconds: Math.round(buildSeconds * 10) / 10, recallAt10: found / (10 * QUERIES), msPerQuery: Math.round(((performance.now() - t0) / QUERIES) * 100) / 100 };
    console.error(JSON.stringify(row));
    rows.push(row);
  }
  rmSync(file, { force: true });
}
const result = { at: new Date().toISOString(), chunks: CHUNKS, texts, quantization: QUANTIZATION, rescore: RESCORE, queries: QUERIES, rows };
console.log(JSON.stringify(result, null, 2));
const resultsDir = path.join(PROJECT_ROOT, 'bench', 'results');
mkdirSync(resultsDir, { recursive: true });
writeFileSync(path.join(resultsDir, `ann-${result.at.replace(/[:.]/g, '-')}.json`), `${JSON.stringify(result, null, 2)}\n`);
