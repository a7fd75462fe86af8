import assert from 'node:assert/strict';
import { cosineDistance } from './ann-view.ts';
import { sparseQuery, VectorColumns } from './vector-columns.ts';

/** A dense vector of values in [-0.5, 0.5) from a seed, as an embedder's chunk vectors are. */
function dense(dimension: number, seed: number): Float32Array {
  const out = new Float32Array(dimension);
  let x = (seed * 2654435761) % 4294967296;
  for (let i = 0; i < dimension; i++) {
    x = (x * 1664525 + 1013904223) % 4294967296;
    out[i] = x / 4294967296 - 0.5;
  }
  return out;
}

/** A query with a few non-zero components, as the hashing embedder gives a short text. */
function sparse(dimension: number, seed: number, nonZero: number): Float32Array {
  const out = new Float32Array(dimension);
  const values = dense(nonZero * 2, seed);
  for (let i = 0; i < nonZero; i++) out[(seed * 7 + i * 31) % dimension] = values[i]!;
  return out;
}

const keysOf = (found: { keys: BigUint64Array }) => Array.from(found.keys, Number);

describe('VectorColumns', () => {
  it('when a query has few non-zero components, should find the same nearest keys as exact cosine over float32', () => {
    const dimension = 64;
    const columns = new VectorColumns(dimension, 4);
    const vectors = Array.from({ length: 2000 }, (_, i) => dense(dimension, i + 1));
    vectors.forEach((vector, i) => columns.set(BigInt(i), vector));
    assert.equal(columns.size(), 2000);
    for (let seed = 1; seed <= 20; seed++) {
      const query = sparse(dimension, seed, 1 + (seed % 9));
      const exact = vectors.map((vector, i) => ({ i, distance: cosineDistance(query, vector) })).sort((a, b) => a.distance - b.distance);
      // The codes are int8: their best 30, ranked again exactly, hold the exact best 10.
      const found = columns.search(sparseQuery(query, dimension)!, 30);
      assert.equal(found.keys.length, 30);
      const rescored = keysOf(found).sort((a, b) => cosineDistance(query, vectors[a]!) - cosineDistance(query, vectors[b]!)).slice(0, 10);
      assert.deepEqual(rescored, exact.slice(0, 10).map((hit) => hit.i), `query ${seed}`);
      for (let j = 1; j < found.distances.length; j++) assert.ok(found.distances[j - 1]! <= found.distances[j]!, 'nearest first');
      assert.ok(Math.abs(found.distances[0]! - cosineDistance(query, vectors[Number(found.keys[0]!)]!)) < 0.02, 'distances near the exact ones');
    }
  });

  it('when keys are deleted or set again, should never return an old vector and keep every other key findable', () => {
    const dimension = 8;
    const axis = (i: number) => Float32Array.from({ length: dimension }, (_, d) => (d === i ? 1 : 0));
    const columns = new VectorColumns(dimension, 2);
    for (let i = 0; i < dimension; i++) columns.set(BigInt(i), axis(i));
    columns.delete(2n); // the last slot moves into its place
    columns.delete(99n); // not held: nothing changes
    columns.set(5n, axis(2)); // set again: key 5 now points along axis 2
    assert.equal(columns.size(), dimension - 1);
    assert.deepEqual(keysOf(columns.search(sparseQuery(axis(2), 1)!, 1)), [5]);
    assert.notEqual(keysOf(columns.search(sparseQuery(axis(5), 1)!, 1))[0], 5);
    for (const i of [0, 1, 3, 4, 6, 7]) assert.deepEqual(keysOf(columns.search(sparseQuery(axis(i), 1)!, 1)), [i], `key ${i}`);
    assert.deepEqual(keysOf(columns.search(sparseQuery(axis(0), 1)!, 100)).sort(), [0, 1, 3, 4, 5, 6, 7], 'wanted past the size gives every key');
  });

  it('when a vector or the query has no direction, should rank it last at distance 1 and return nothing from an empty set', () => {
    const columns = new VectorColumns(4);
    assert.equal(columns.search(sparseQuery(Float32Array.of(1, 0, 0, 0), 4)!, 5).keys.length, 0);
    columns.set(1n, Float32Array.of(0, 0, 0, 0));
    columns.set(2n, Float32Array.of(-1, 0, 0, 0));
    columns.set(3n, Float32Array.of(1, 1, 0, 0));
    const found = columns.search(sparseQuery(Float32Array.of(1, 0, 0, 0), 4)!, 3);
    assert.deepEqual(keysOf(found), [3, 1, 2]);
    assert.ok(Math.abs(found.distances[1]! - 1) < 1e-6 && Math.abs(found.distances[2]! - 2) < 1e-6);
    assert.deepEqual(Array.from(columns.search(sparseQuery(new Float32Array(4), 4)!, 3).distances), [1, 1, 1]);
  });

  it('sparseQuery: should list the non-zero components, or give null past the most asked for', () => {
    const query = sparseQuery(Float32Array.of(0, 0.5, 0, -0.25, 0), 2)!;
    assert.deepEqual(Array.from(query.dimensions), [1, 3]);
    assert.deepEqual(Array.from(query.weights), [0.5, -0.25]);
    assert.equal(sparseQuery(Float32Array.of(1, 2, 3), 2), null);
    assert.equal(sparseQuery(new Float32Array(3), 0)!.dimensions.length, 0);
  });
});
