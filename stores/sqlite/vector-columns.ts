/**
 * A collection's vectors as int8 columns, one per dimension, for queries with few non-zero
 * components. The hashing embedder gives a short query one component per word and word pair
 * (the bench's 200 titles: 5 at the median, 13 at most, of 384), and a query's zero components
 * add nothing to a dot product, so such a query is scored against every vector by reading only
 * its own columns: exact over the int8 codes, as the scan of flat-index.ts is, for a few bytes a
 * vector instead of all of them. Measured at 1M × 384 on one thread: ~1.2 ms a column and ~2.6 ms
 * to pick the best, so a title takes 5–20 ms and finds every true top 10, where the graph finds
 * 0.85 of them in ~12 ms and a scan of every code takes ~33 (docs/search.md). A model's embeddings
 * have no zero components and never come here.
 */

import { encode } from './flat-index.ts';
import { KeySlots } from './key-slots.ts';

/**
 * A query with at most one component in this many non-zero is scored by the columns. At 384
 * dimensions that is 24 columns, ~31 ms at 1M: as long as the scan of every int8 code, which is
 * what a collection up to FLAT_MAX_CHUNKS runs instead (and at 250k, 8 ms against its 8.3). With
 * more, the scan would be faster than the columns, and a graph faster still.
 */
const COLUMN_SHARE = 16;

/** The most non-zero components a query of this dimension may have to be scored by the columns. */
export function columnsUpTo(dimension: number): number {
  return Math.floor(dimension / COLUMN_SHARE);
}

/** A query's non-zero components: their dimensions and values. */
export interface SparseQuery {
  readonly dimensions: Int32Array;
  readonly weights: Float32Array;
}

/** The query's non-zero components, or null when it has more than `most`. */
export function sparseQuery(vector: Float32Array, most: number): SparseQuery | null {
  let count = 0;
  for (let i = 0; i < vector.length; i++) if (vector[i] !== 0 && ++count > most) return null;
  const dimensions = new Int32Array(count);
  const weights = new Float32Array(count);
  for (let i = 0, n = 0; i < vector.length; i++) {
    if (vector[i] === 0) continue;
    dimensions[n] = i;
    weights[n++] = vector[i]!;
  }
  return { dimensions, weights };
}

export class VectorColumns {
  /** Slot i's codes at columns[d][i], and the inverse of their length. */
  private columns: Int8Array[];
  private inverseLengths: Float32Array;
  private readonly slots: KeySlots;
  /** One score per slot, reused by every search. */
  private scores = new Float32Array(0);
  /** One vector's codes, reused by every set. */
  private readonly codes: Int8Array;

  constructor(readonly dimension: number, capacity = 1024) {
    this.columns = Array.from({ length: dimension }, () => new Int8Array(capacity));
    this.inverseLengths = new Float32Array(capacity);
    this.slots = new KeySlots(capacity);
    this.codes = new Int8Array(dimension);
  }

  size(): number {
    return this.slots.size;
  }

  /** Bytes held: the codes, keys, lengths and scores, and a map entry a key. */
  bytes(): number {
    return this.slots.capacity * (this.dimension + 8 + 4 + 4) + this.slots.size * 80;
  }

  /** Sets the key's vector, in place of the one it had. */
  set(key: bigint, vector: Float32Array): void {
    if (!this.slots.has(key)) this.reserve(this.slots.size + 1);
    const slot = this.slots.slotFor(key);
    // The codes the scan of flat-index.ts would hold, one into each column.
    encode(vector, this.codes);
    let squares = 0;
    for (let d = 0; d < this.dimension; d++) {
      const code = this.codes[d]!;
      this.columns[d]![slot] = code;
      squares += code * code;
    }
    // A vector with no direction scores 0 against everything, as cosine distance 1 says.
    this.inverseLengths[slot] = squares === 0 ? 0 : 1 / Math.sqrt(squares);
  }

  /** Removes the key, moving the last slot into its place so live slots stay one run. */
  delete(key: bigint): void {
    const move = this.slots.remove(key);
    if (move === null || move.to === move.from) return;
    this.inverseLengths[move.to] = this.inverseLengths[move.from]!;
    for (const column of this.columns) column[move.to] = column[move.from]!;
  }

  /**
   * The `wanted` keys whose codes are nearest the query by cosine, nearest first, with their
   * distances over the codes (the caller scores them again with their float32 vectors).
   */
  search(query: SparseQuery, wanted: number): { keys: BigUint64Array; distances: Float32Array } {
    const n = this.slots.size;
    if (this.scores.length < n) this.scores = new Float32Array(this.slots.capacity);
    const scores = this.scores;
    const { dimensions, weights } = query;
    // Up to four columns a pass: a pass reads and writes every score, which costs as much as
    // reading the columns. The first pass sets the scores instead of adding to them.
    if (dimensions.length === 0) scores.fill(0, 0, n);
    for (let from = 0; from < dimensions.length; from += 4) {
      const column = (t: number) => this.columns[dimensions[from + t]!]!;
      const first = from === 0;
      switch (Math.min(4, dimensions.length - from)) {
        case 4: addFour(scores, n, first, column(0), weights[from]!, column(1), weights[from + 1]!, column(2), weights[from + 2]!, column(3), weights[from + 3]!); break;
        case 3: addThree(scores, n, first, column(0), weights[from]!, column(1), weights[from + 1]!, column(2), weights[from + 2]!); break;
        case 2: addTwo(scores, n, first, column(0), weights[from]!, column(1), weights[from + 1]!); break;
        default: addOne(scores, n, first, column(0), weights[from]!);
      }
    }
    let queryLength = 0;
    for (const weight of weights) queryLength += weight * weight;
    queryLength = Math.sqrt(queryLength);
    const best = bestSlots(scores, this.inverseLengths, n, Math.min(wanted, n));
    return {
      keys: BigUint64Array.from(best.slots, (slot) => this.slots.keyAt(slot)),
      distances: Float32Array.from(best.similarities, (similarity) => queryLength === 0 ? 1 : 1 - similarity / queryLength),
    };
  }

  /** Room for `needed` vectors. */
  private reserve(needed: number): void {
    const capacity = this.slots.grownCapacity(needed, 1024);
    if (capacity === null) return;
    const count = this.slots.size;
    this.columns = this.columns.map((column) => {
      const grown = new Int8Array(capacity);
      grown.set(column.subarray(0, count));
      return grown;
    });
    const inverseLengths = new Float32Array(capacity);
    inverseLengths.set(this.inverseLengths.subarray(0, count));
    this.inverseLengths = inverseLengths;
  }
}

/** scores[i] (or 0 on the first pass) plus each column's code times its weight, for the first `n` slots. */
function addFour(scores: Float32Array, n: number, first: boolean, a: Int8Array, wa: number, b: Int8Array, wb: number, c: Int8Array, wc: number, d: Int8Array, wd: number): void {
  if (first) for (let i = 0; i < n; i++) scores[i] = wa * a[i]! + wb * b[i]! + wc * c[i]! + wd * d[i]!;
  else for (let i = 0; i < n; i++) scores[i] = scores[i]! + wa * a[i]! + wb * b[i]! + wc * c[i]! + wd * d[i]!;
}

function addThree(scores: Float32Array, n: number, first: boolean, a: Int8Array, wa: number, b: Int8Array, wb: number, c: Int8Array, wc: number): void {
  if (first) for (let i = 0; i < n; i++) scores[i] = wa * a[i]! + wb * b[i]! + wc * c[i]!;
  else for (let i = 0; i < n; i++) scores[i] = scores[i]! + wa * a[i]! + wb * b[i]! + wc * c[i]!;
}

function addTwo(scores: Float32Array, n: number, first: boolean, a: Int8Array, wa: number, b: Int8Array, wb: number): void {
  if (first) for (let i = 0; i < n; i++) scores[i] = wa * a[i]! + wb * b[i]!;
  else for (let i = 0; i < n; i++) scores[i] = scores[i]! + wa * a[i]! + wb * b[i]!;
}

function addOne(scores: Float32Array, n: number, first: boolean, a: Int8Array, wa: number): void {
  if (first) for (let i = 0; i < n; i++) scores[i] = wa * a[i]!;
  else for (let i = 0; i < n; i++) scores[i] = scores[i]! + wa * a[i]!;
}

/**
 * The `wanted` slots of highest score × inverse length, highest first: a min-heap of the best so
 * far, which after the first few thousand slots almost every slot fails to enter.
 */
function bestSlots(scores: Float32Array, inverseLengths: Float32Array, n: number, wanted: number): { slots: Int32Array; similarities: Float32Array } {
  const slots = new Int32Array(wanted);
  const values = new Float32Array(wanted);
  let size = 0;
  for (; size < wanted; size++) {
    // Sift up.
    const value = scores[size]! * inverseLengths[size]!;
    let at = size;
    while (at > 0) {
      const parent = (at - 1) >> 1;
      if (values[parent]! <= value) break;
      values[at] = values[parent]!;
      slots[at] = slots[parent]!;
      at = parent;
    }
    values[at] = value;
    slots[at] = size;
  }
  // The smallest kept, in a local: the loop below mostly compares with it and moves on.
  let floor = size > 0 ? values[0]! : Infinity;
  for (let i = size; i < n; i++) {
    const value = scores[i]! * inverseLengths[i]!;
    if (value <= floor) continue;
    // Replace the smallest and sift down.
    let at = 0;
    for (;;) {
      const left = 2 * at + 1;
      if (left >= size) break;
      const right = left + 1;
      const child = right < size && values[right]! < values[left]! ? right : left;
      if (values[child]! >= value) break;
      values[at] = values[child]!;
      slots[at] = slots[child]!;
      at = child;
    }
    values[at] = value;
    slots[at] = i;
    floor = values[0]!;
  }
  const order = Array.from({ length: size }, (_, i) => i).sort((a, b) => values[b]! - values[a]! || slots[a]! - slots[b]!);
  return { slots: Int32Array.from(order, (i) => slots[i]!), similarities: Float32Array.from(order, (i) => values[i]!) };
}
