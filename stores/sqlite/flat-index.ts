/**
 * An exact scan over int8 copies of a collection's vectors: what the approximate index of a
 * collection up to FLAT_MAX_CHUNKS answers from instead of an HNSW graph (ann-index.ts). One scan
 * compares the query with every vector using usearch's SIMD kernels, so it finds every vector the
 * int8 codes rank near, and the float32 vectors kept beside it then put its best in exact order
 * (ann-view.ts). Measured at 100k × 384 on one thread (`npm run bench:ann`, README *Search*): a
 * scan takes less time than the graph's search at breadth 1024 and finds more; adding a vector is
 * a copy, not a graph insert (~0.9 ms), so the follower is bound by reading each changed vector
 * (~0.2 ms) instead. The scan's time grows with the collection, the graph's far less, hence the
 * size limit.
 */
import { createRequire } from 'node:module';
import { KeySlots } from './key-slots.ts';

const usearch = createRequire(import.meta.url)('usearch') as typeof import('usearch');

/** The int8 code's largest magnitude: each vector is scaled so its largest component is this. */
const CODE_SCALE = 127;

export class FlatIndex {
  /** Slot i's codes at i × dimension. */
  private codes: Int8Array;
  private readonly slots: KeySlots;

  constructor(private readonly dimension: number, capacity = 1024) {
    this.slots = new KeySlots(capacity);
    this.codes = new Int8Array(capacity * dimension);
  }

  size(): number {
    return this.slots.size;
  }

  contains(key: bigint): boolean {
    return this.slots.has(key);
  }

  /** Every key held, in slot order. */
  keysHeld(): BigUint64Array {
    return this.slots.held();
  }

  /** Adds each key's vector (`vectors` holds them one after another); a key already held is replaced. */
  add(keys: BigUint64Array, vectors: Float32Array): void {
    if (vectors.length !== keys.length * this.dimension) throw new Error(`${keys.length} keys need ${keys.length * this.dimension} values, got ${vectors.length}`);
    this.reserve(this.slots.size + keys.length);
    keys.forEach((key, i) => {
      const slot = this.slots.slotFor(key);
      encode(vectors.subarray(i * this.dimension, (i + 1) * this.dimension), this.codes.subarray(slot * this.dimension, (slot + 1) * this.dimension));
    });
  }

  /** Removes the key, moving the last slot into its place so live slots stay one run. */
  remove(key: bigint): void {
    const move = this.slots.remove(key);
    if (move === null || move.to === move.from) return;
    this.codes.copyWithin(move.to * this.dimension, move.from * this.dimension, (move.from + 1) * this.dimension);
  }

  /** Removes up to `count` keys from the last slots (no slot moves) and returns them. */
  takeLast(count: number): BigUint64Array {
    return this.slots.takeLast(count);
  }

  /** The `k` keys whose codes are nearest the query's by cosine, nearest first. */
  search(vector: Float32Array, k: number, threads: number): { keys: BigUint64Array; distances: Float32Array } {
    const wanted = Math.min(k, this.slots.size);
    if (wanted === 0) return { keys: new BigUint64Array(0), distances: new Float32Array(0) };
    // A fresh array for the query, and the codes from offset 0: the native scan reads both from the
    // start of their buffers, whatever a view's offset.
    const query = new Int8Array(this.dimension);
    encode(vector, query);
    const found = usearch.exactSearch(this.codes.subarray(0, this.slots.size * this.dimension), query, this.dimension, wanted, usearch.MetricKind.Cos, threads) as { keys: BigUint64Array; distances: Float32Array };
    return { keys: BigUint64Array.from(found.keys, (slot) => this.slots.keyAt(Number(slot))), distances: found.distances };
  }

  /** Room for `needed` vectors. */
  private reserve(needed: number): void {
    const capacity = this.slots.grownCapacity(needed);
    if (capacity === null) return;
    const codes = new Int8Array(capacity * this.dimension);
    codes.set(this.codes.subarray(0, this.slots.size * this.dimension));
    this.codes = codes;
  }
}

/** The vector scaled so its largest component is ±CODE_SCALE (cosine ignores scale), rounded. */
export function encode(vector: Float32Array, into: Int8Array): void {
  let largest = 0;
  for (let i = 0; i < vector.length; i++) largest = Math.max(largest, Math.abs(vector[i]!));
  const scale = largest === 0 ? 0 : CODE_SCALE / largest;
  for (let i = 0; i < vector.length; i++) into[i] = Math.round(vector[i]! * scale);
}
