/**
 * A collection's HNSW graph with the vectors that have not settled into it yet beside it, as an
 * exact int8 scan (flat-index.ts). Taking a change is then a copy, not a graph insert: the graph's
 * follower (ann-index.ts) keeps up with writers several times faster than the graph's inserts,
 * and the graph takes the recent vectors in background steps as the machine has time.
 *
 * Why: a graph insert at 1M distinct texts costs ~0.8 ms of a core; two processes writing 900
 * chunks/s into the searched collection outran the follower, so it fell more than 500 changes
 * behind and every search ran exact (~550 ms), which took the cores the follower needed; once the
 * writers' pruning passed it, the graph was rebuilt from the chunks table (20 minutes). Reading a
 * recent change's vector and copying it here costs ~0.02 ms, and a scan of 100k recent vectors
 * ~4 ms. However many wait, that scan costs a fraction of the exact search a search would run
 * instead, so their number is not capped.
 *
 * Saved as the graph alone beside every float32 vector (ann-index.ts); the recent ones are the
 * keys with a vector that the loaded graph lacks.
 */
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { FlatIndex } from './flat-index.ts';

const usearch = createRequire(import.meta.url)('usearch') as typeof import('usearch');

export type Graph = InstanceType<typeof usearch.Index>;

/** Threads a batch of inserts is spread over, once the graph holds PARALLEL_INSERT_MIN_SIZE vectors. */
const INSERT_THREADS = availableParallelism();
/**
 * Below this size a graph takes its vectors one at a time: parallel inserts into a
 * graph of a few dozen nodes once left one of them unreachable (a 37-chunk rebuild in the test
 * suite found 36), as threads that start together each find the others missing.
 */
const PARALLEL_INSERT_MIN_SIZE = 1024;

export class SettlingGraph {
  /** The vectors taken since the graph was last brought up to date, not in the graph. */
  readonly recent: FlatIndex;

  constructor(readonly graph: Graph, private readonly dimension: number) {
    this.recent = new FlatIndex(dimension);
  }

  size(): number {
    return this.graph.size() + this.recent.size();
  }

  contains(key: bigint): boolean {
    return this.recent.contains(key) || this.graph.contains(key) === true;
  }

  remove(key: bigint): void {
    this.recent.remove(key);
    if (this.graph.contains(key)) this.graph.remove(key);
  }

  /** Takes each key's vector (one after another in `vectors`) among the recent ones. */
  add(keys: BigUint64Array, vectors: Float32Array): void {
    for (const key of keys) if (this.graph.contains(key)) this.graph.remove(key);
    this.recent.add(keys, vectors);
  }

  /**
   * Moves up to `count` recent vectors into the graph, by their float32 values (`vectorOf`); true
   * when none are left.
   */
  settle(count: number, vectorOf: (key: bigint) => Float32Array | undefined): boolean {
    const keys: bigint[] = [];
    const flat = new Float32Array(count * this.dimension);
    for (const key of this.recent.takeLast(count)) {
      const vector = vectorOf(key);
      if (vector === undefined) continue; // not reached: every key taken has its vector kept
      flat.set(vector, keys.length * this.dimension);
      keys.push(key);
    }
    addToGraph(this.graph, keys, flat, this.dimension);
    return this.recent.size() === 0;
  }

  /**
   * Up to `k` nearest keys from the graph and up to `k` from the recent vectors, nearest first by
   * their int8 distances: the caller scores them all exactly and keeps the best (ann-view.ts).
   */
  search(vector: Float32Array, k: number, threads: number): { keys: BigUint64Array; distances: Float32Array } {
    const inGraph = this.graph.size() > 0
      ? this.graph.search(vector, Math.min(k, this.graph.size()), threads) as { keys: BigUint64Array; distances: Float32Array }
      : { keys: new BigUint64Array(0), distances: new Float32Array(0) };
    if (this.recent.size() === 0) return inGraph;
    const inRecent = this.recent.search(vector, k, threads);
    // Both lists come nearest first: merged in one pass.
    const keys = new BigUint64Array(inGraph.keys.length + inRecent.keys.length);
    const distances = new Float32Array(keys.length);
    for (let g = 0, r = 0, out = 0; out < keys.length; out++) {
      const fromGraph = r >= inRecent.keys.length || (g < inGraph.keys.length && inGraph.distances[g]! <= inRecent.distances[r]!);
      if (fromGraph) { keys[out] = inGraph.keys[g]!; distances[out] = inGraph.distances[g++]!; }
      else { keys[out] = inRecent.keys[r]!; distances[out] = inRecent.distances[r++]!; }
    }
    return { keys, distances };
  }
}

/**
 * Adds each key's vector (one after another in `flat`, which may be longer) to a graph. It takes
 * them in one call on every core once it is large enough, and one call per vector before that.
 * Every call names INSERT_THREADS, since a graph makes room for as many threads as the call that
 * grew it named: one grown by a one-thread call refuses a call on two ("Reserve capacity ahead of
 * insertions!") until it next grows.
 */
export function addToGraph(graph: Graph, keys: readonly bigint[], flat: Float32Array, dimension: number): void {
  if (keys.length === 0) return;
  if (graph.size() >= PARALLEL_INSERT_MIN_SIZE) {
    graph.add(BigUint64Array.from(keys), flat.subarray(0, keys.length * dimension), INSERT_THREADS);
    return;
  }
  keys.forEach((key, i) => graph.add(key, flat.subarray(i * dimension, (i + 1) * dimension), INSERT_THREADS));
}
