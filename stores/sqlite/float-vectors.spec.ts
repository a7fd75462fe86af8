import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FloatVectors } from './float-vectors.ts';

describe('FloatVectors', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(path.join(tmpdir(), 'rag-float-vectors-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('when saved and loaded, should give back every key with its vector and nothing deleted', () => {
    const vectors = new FloatVectors(3);
    vectors.set(1n, Float32Array.of(0.1, 0.2, 0.3));
    vectors.set(2n ** 40n, Float32Array.of(-1, 0, 1));
    vectors.set(7n, Float32Array.of(5, 5, 5));
    vectors.delete(7n);
    const file = path.join(dir, 'v');
    vectors.save(file);
    const loaded = FloatVectors.load(file, 3)!;
    assert.equal(loaded.size, 2);
    assert.deepEqual([...loaded.get(1n)!], [...Float32Array.of(0.1, 0.2, 0.3)]);
    assert.deepEqual([...loaded.get(2n ** 40n)!], [-1, 0, 1]);
    assert.equal(loaded.get(7n), undefined);
  });

  it('when the vectors fill more than one slice of the file, should give each back under its own key', () => {
    const dimension = 1024; // 4 KB a vector: 1,100 of them are more than one 4 MB slice
    const vectors = new FloatVectors(dimension);
    const of = (key: number) => Float32Array.from({ length: dimension }, (_, i) => key * 10_000 + i);
    for (let key = 0; key < 1_100; key++) vectors.set(BigInt(key), of(key));
    const file = path.join(dir, 'v');
    vectors.save(file);
    const loaded = FloatVectors.load(file, dimension)!;
    assert.equal(loaded.size, 1_100);
    for (const key of [0, 1, 1_023, 1_024, 1_099]) assert.deepEqual([...loaded.get(BigInt(key))!], [...of(key)], `key ${key}`);
  });

  it('when the vectors change while a save is written a step at a time, should give back those held when it started', () => {
    const vectors = new FloatVectors(2);
    for (let key = 0; key < 10; key++) vectors.set(BigInt(key), Float32Array.of(key, -key));
    const file = path.join(dir, 'v');
    const write = vectors.startSave(file);
    assert.equal(write.step(3), false);
    vectors.set(1n, Float32Array.of(100, 100)); // written already
    vectors.set(8n, Float32Array.of(800, 800)); // not yet
    vectors.delete(9n);
    vectors.set(10n, Float32Array.of(10, -10));
    assert.equal(write.left, 7);
    while (!write.step(3));
    const loaded = FloatVectors.load(file, 2)!;
    assert.deepEqual([...loaded.entries()].map(([key, vector]) => [Number(key), ...vector]), Array.from({ length: 10 }, (_, key) => [key, key, -key]));
    assert.equal(write.step(1), true, 'written whole');
    const abandoned = vectors.startSave(path.join(dir, 'w'));
    abandoned.abandon();
    assert.throws(() => abandoned.step(1), /closed before it was written whole/);
  });

  it('when a file is of another dimension, truncated or not one at all, should load nothing', () => {
    const vectors = new FloatVectors(2);
    vectors.set(1n, Float32Array.of(1, 2));
    const file = path.join(dir, 'v');
    vectors.save(file);
    assert.equal(FloatVectors.load(file, 3), null);
    writeFileSync(file, readFileSync(file).subarray(0, 20));
    assert.equal(FloatVectors.load(file, 2), null);
    writeFileSync(file, 'not vectors at all');
    assert.equal(FloatVectors.load(file, 2), null);
  });

  it('when a vector of another dimension is set, should refuse it', () => {
    assert.throws(() => new FloatVectors(2).set(1n, Float32Array.of(1, 2, 3)), /3 dimensions, the index 2/);
  });
});
