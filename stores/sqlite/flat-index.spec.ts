import assert from 'node:assert/strict';
import { FlatIndex } from './flat-index.ts';

/** Unit vectors along one axis each, so every query has one nearest key by a wide margin. */
function axis(dimension: number, i: number, sign = 1): Float32Array {
  const vector = new Float32Array(dimension);
  vector[i] = sign;
  return vector;
}

const keysOf = (found: { keys: BigUint64Array }) => Array.from(found.keys, Number);

describe('FlatIndex', () => {
  it('when searched, should give the nearest keys by cosine, nearest first, whatever their scale', () => {
    const index = new FlatIndex(4, 1);
    index.add(BigUint64Array.of(10n, 20n, 30n), Float32Array.of(1, 0, 0, 0, 0, 3, 0, 0, 0.5, 0.5, 0, 0));
    assert.equal(index.size(), 3);
    const found = index.search(Float32Array.of(0.9, 0.1, 0, 0), 3, 1);
    assert.deepEqual(keysOf(found), [10, 30, 20]);
    assert.ok(found.distances[0]! < found.distances[1]! && found.distances[1]! < found.distances[2]!);
    assert.deepEqual(keysOf(index.search(Float32Array.of(0, 1, 0, 0), 10, 1)), [20, 30, 10], 'k past the size gives every key');
  });

  it('when a key is removed or added again, should never return its old vector and keep every other key findable', () => {
    const dimension = 8;
    const index = new FlatIndex(dimension, 2);
    for (let i = 0; i < dimension; i++) index.add(BigUint64Array.of(BigInt(i)), axis(dimension, i));
    index.remove(2n); // the last slot moves into its place
    index.remove(99n); // not held: nothing changes
    index.add(BigUint64Array.of(5n), axis(dimension, 2)); // replaced: key 5 now points along axis 2
    assert.equal(index.size(), dimension - 1);
    assert.ok(!index.contains(2n) && index.contains(7n));
    assert.deepEqual(keysOf(index.search(axis(dimension, 2), 1, 1)), [5]);
    assert.notEqual(keysOf(index.search(axis(dimension, 5), 1, 1))[0], 5);
    for (const i of [0, 1, 3, 4, 6, 7]) assert.deepEqual(keysOf(index.search(axis(dimension, i), 1, 1)), [i], `key ${i}`);
    assert.deepEqual([...index.keysHeld()].sort((a, b) => Number(a - b)), [0n, 1n, 3n, 4n, 5n, 6n, 7n]);
  });

  it('when empty or given vectors of the wrong length, should return nothing or refuse', () => {
    const index = new FlatIndex(4);
    assert.equal(index.search(axis(4, 0), 5, 1).keys.length, 0);
    assert.throws(() => index.add(BigUint64Array.of(1n), new Float32Array(3)), /1 keys need 4 values, got 3/);
  });
});
