import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { graphOptions, GRAPH_PARAMETERS } from './ann-index.ts';
import { SettlingGraph } from './settling-graph.ts';

const usearch = createRequire(import.meta.url)('usearch') as typeof import('usearch');
const DIMENSION = 8;

/** Unit vectors along one axis each (negative axes from DIMENSION on), so every query has one nearest key. */
function axis(i: number): Float32Array {
  const vector = new Float32Array(DIMENSION);
  vector[i % DIMENSION] = i < DIMENSION ? 1 : -1;
  return vector;
}

function settlingGraph(): { index: SettlingGraph; vectors: Map<bigint, Float32Array> } {
  const index = new SettlingGraph(new usearch.Index({ ...graphOptions(DIMENSION), ...GRAPH_PARAMETERS }), DIMENSION);
  return { index, vectors: new Map() };
}

function add(graph: { index: SettlingGraph; vectors: Map<bigint, Float32Array> }, key: number, vectorOf: number): void {
  graph.vectors.set(BigInt(key), axis(vectorOf));
  graph.index.add(BigUint64Array.of(BigInt(key)), axis(vectorOf));
}

const nearest = (index: SettlingGraph, i: number) => Number(index.search(axis(i), 1, 1).keys[0]);

describe('SettlingGraph', () => {
  it('when vectors are added, should hold them beside the graph, find them, and find them in the graph once settled', () => {
    const graph = settlingGraph();
    for (let i = 0; i < 2 * DIMENSION; i++) add(graph, i, i);
    assert.deepEqual([graph.index.graph.size(), graph.index.recent.size(), graph.index.size()], [0, 16, 16]);
    for (let i = 0; i < 2 * DIMENSION; i++) assert.equal(nearest(graph.index, i), i, `recent key ${i}`);

    assert.equal(graph.index.settle(10, (key) => graph.vectors.get(key)), false, 'six still wait');
    assert.deepEqual([graph.index.graph.size(), graph.index.recent.size()], [10, 6]);
    for (let i = 0; i < 2 * DIMENSION; i++) assert.equal(nearest(graph.index, i), i, `key ${i}, in the graph or beside it`);
    assert.equal(graph.index.settle(10, (key) => graph.vectors.get(key)), true);
    assert.deepEqual([graph.index.graph.size(), graph.index.recent.size(), graph.index.size()], [16, 0, 16]);
    for (let i = 0; i < 2 * DIMENSION; i++) assert.equal(nearest(graph.index, i), i, `settled key ${i}`);
  });

  it('when a key in the graph is added again or removed, should never return its old vector', () => {
    const graph = settlingGraph();
    for (let i = 0; i < DIMENSION; i++) add(graph, i, i);
    graph.index.settle(DIMENSION, (key) => graph.vectors.get(key));
    add(graph, 3, DIMENSION + 3); // replaced: key 3 now points along −axis 3, beside the graph
    graph.index.remove(6n);
    assert.ok(graph.index.contains(3n) && !graph.index.contains(6n));
    assert.deepEqual([graph.index.graph.size(), graph.index.recent.size()], [6, 1]);
    assert.equal(nearest(graph.index, DIMENSION + 3), 3);
    const nearAxis3 = Array.from(graph.index.search(axis(3), 10, 1).keys, Number);
    assert.equal(nearAxis3.filter((key) => key === 3).length, 1, 'key 3 once, by its new vector');
    assert.equal(nearAxis3.at(-1), 3, `the farthest from axis 3 now: ${nearAxis3}`);
    assert.ok(!Array.from(graph.index.search(axis(6), 10, 1).keys, Number).includes(6), 'a removed key is gone');
  });
});
