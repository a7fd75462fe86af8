/**
 * `npm run bench:ann`: what the approximate index's exact int8 scan (flat-index.ts, the first
 * row), the int8 columns that score queries with few non-zero components (vector-columns.ts, the
 * second, with each query's count of them) and its HNSW graphs cost and give, on the vectors the bench pre-loads (BENCH_PRELOAD_TEXTS,
 * BENCH_ANN_CHUNKS, default 100k) and the bench's queries. For each pair of links and build breadth (BENCH_ANN_BUILDS, JSON; by default the
 * index's own from stores/sqlite/ann-index.ts, then [32,128], [16,128] and [32,256]) it builds a
 * graph with usearch on every core, then for each
 * search breadth (BENCH_ANN_BREADTHS, default [512,1024]) reports recall@10 against an exact scan
 * (a hit counts when it scores at least the exact 10th) and the mean time of a query on one
 * thread. No store and no broker: the graph alone, as the search thread holds it.
 * BENCH_ANN_QUANTIZATION (i8, the index's, f16 or f32) sets the graph's vectors; BENCH_ANN_RESCORE=R
 * takes each query's R best from the graph and ranks them by their float32 vectors, as the index
 * does with the copy it keeps beside its graph (0 takes the graph's own top 10); a list (`50,200`)
 * reports recall for each depth from the same searches, timed at the deepest. By default the
 * index's own depth for k = 10 (ann-view.ts rescoreDepth).
 * Writes bench/results/ann-<timestamp>.json.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { HashingEmbedder } from '../embedders/hashing-embedder.ts';
import { GRAPH_PARAMETERS, graphOptions } from '../stores/sqlite/ann-index.ts';
import { FlatIndex } from '../stores/sqlite/flat-index.ts';
import { cosineDistance, rescoreDepth } from '../stores/sqlite/ann-view.ts';
import { sparseQuery, VectorColumns } from '../stores/sqlite/vector-columns.ts';
import { summarize } from './stats.ts';
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
/** Candidates re-scored with float32 vectors (0: the graph's own top 10), one recall per depth. */
const RESCORES = (process.env.BENCH_ANN_RESCORE ?? String(rescoreDepth(10))).split(',').map(Number);
if (RESCORES.some((depth) => !Number.isInteger(depth) || depth < 0)) throw new Error(`BENCH_ANN_RESCORE must list whole numbers, not "${process.env.BENCH_ANN_RESCORE}"`);
const DEEPEST = Math.max(...RESCORES);
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
const flat32 = new Float32Array(vectors.length * DIMENSION);
vectors.forEach((vector, i) => flat32.set(vector, i * DIMENSION));
const options = (connectivity: number, expansionAdd: number, expansionSearch: number) => ({
  ...graphOptions(DIMENSION), connectivity, expansion_add: expansionAdd, expansion_search: expansionSearch,
  quantization: { f32: usearch.ScalarKind.F32, f16: usearch.ScalarKind.F16, i8: usearch.ScalarKind.I8 }[QUANTIZATION as 'f32'],
});
/** A query's 10 best: the graph's own, or its `depth` best ranked again by their float32 vectors. */
const topTen = (found: readonly number[], query: Float32Array, depth: number): number[] => {
  if (depth === 0) return found.slice(0, 10);
  return found.slice(0, depth).map((key) => [key, cosine(vectors[key]!, query)] as const).sort((a, b) => b[1] - a[1]).slice(0, 10).map(([key]) => key);
};

console.error(`${vectors.length} vectors (${texts} texts), ${QUANTIZATION} graphs, re-scoring ${RESCORES.join(' / ')}, ${QUERIES} queries, builds on ${availableParallelism()} threads`);

type Searchable = { search(vector: Float32Array, k: number, threads: number): { keys: BigUint64Array } };
/** Recall@10 at each re-scoring depth, and the mean time of a query with its deepest re-scoring, on one thread. */
const measure = (index: Searchable) => {
  const found = new Map(RESCORES.map((depth) => [depth, 0]));
  const t0 = performance.now();
  const searched = queries.map((query) => {
    const best = Array.from(index.search(query, Math.max(10, DEEPEST), 1).keys, Number);
    topTen(best, query, DEEPEST);
    return best;
  });
  const msPerQuery = Math.round(((performance.now() - t0) / QUERIES) * 100) / 100;
  queries.forEach((query, q) => {
    for (const depth of RESCORES) {
      for (const key of topTen(searched[q]!, query, depth)) if (cosine(vectors[key]!, query) >= tenthBest[q]! - 1e-6) found.set(depth, found.get(depth)! + 1);
    }
  });
  return { recallAt10: Object.fromEntries([...found].map(([depth, hits]) => [depth, hits / (10 * QUERIES)])), msPerQuery };
};

const rows: object[] = [];
// The exact int8 scan that collections up to FLAT_MAX_CHUNKS are searched with (flat-index.ts).
const flat = new FlatIndex(DIMENSION);
const flatStarted = performance.now();
flat.add(keys, flat32);
const flatRow = { flat: true, buildSeconds: Math.round((performance.now() - flatStarted) / 100) / 10, ...measure(flat) };
console.error(JSON.stringify(flatRow));
rows.push(flatRow);
// The int8 columns a query with few non-zero components reads instead (vector-columns.ts).
const columns = new VectorColumns(DIMENSION);
const columnsStarted = performance.now();
vectors.forEach((vector, i) => columns.set(BigInt(i), vector));
const columnsRow = {
  columns: true, buildSeconds: Math.round((performance.now() - columnsStarted) / 100) / 10,
  nonZero: summarize(queries.map((query) => sparseQuery(query, DIMENSION)!.dimensions.length)),
  ...measure({ search: (query, k) => columns.search(sparseQuery(query, DIMENSION)!, k) }),
};
console.error(JSON.stringify(columnsRow));
rows.push(columnsRow);
for (const [links, buildBreadth] of BUILDS) {
  const built = new usearch.Index(options(links, buildBreadth, BREADTHS[0]!));
  const started = performance.now();
  built.add(keys, flat32, availableParallelism());
  const buildSeconds = (performance.now() - started) / 1000;
  const file = path.join(PROJECT_ROOT, '.cache', `ann-params-${process.pid}.usearch`);
  built.save(file);
  for (const breadth of BREADTHS) {
    // The search breadth is fixed when an index is made: load the same graph under each.
    const index = new usearch.Index(options(links, buildBreadth, breadth));
    index.load(file);
    const row = { links, buildBreadth, searchBreadth: breadth, buildSeconds: Math.round(buildSeconds * 10) / 10, ...measure(index) };
    console.error(JSON.stringify(row));
    rows.push(row);
  }
  rmSync(file, { force: true });
}
const result = { at: new Date().toISOString(), chunks: CHUNKS, texts, quantization: QUANTIZATION, rescore: RESCORES, queries: QUERIES, rows };
console.log(JSON.stringify(result, null, 2));
const resultsDir = path.join(PROJECT_ROOT, 'bench', 'results');
mkdirSync(resultsDir, { recursive: true });
writeFileSync(path.join(resultsDir, `ann-${result.at.replace(/[:.]/g, '-')}.json`), `${JSON.stringify(result, null, 2)}\n`);
