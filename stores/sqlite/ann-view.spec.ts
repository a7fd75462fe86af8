import assert from 'node:assert/strict';
import { columnsRescoreDepth, nearestInView, rescoreDepth, type AnnView } from './ann-view.ts';
import type { SparseQuery } from './vector-columns.ts';

/** A view of keys 1–3 along the first three axes of 4 whose index and columns record being asked. */
function recordingView(columnsUpTo: number, pending: ReadonlyMap<bigint, Float32Array | null> = new Map(), columnsFull = true) {
  const asked: string[] = [];
  const vectors = new Map([1n, 2n, 3n].map((key) => [key, Float32Array.from({ length: 4 }, (_, d) => (d === Number(key) - 1 ? 1 : 0))]));
  const all = { keys: BigUint64Array.of(1n, 2n, 3n), distances: Float32Array.of(0, 0, 0) };
  const view: AnnView = {
    index: { size: () => 3, search: () => { asked.push('index'); return all; } },
    vectors,
    columns: () => !columnsFull ? null : ({ search: (query: SparseQuery) => { asked.push(`columns ${Array.from(query.dimensions).join(',')}`); return all; } }),
    columnsUpTo,
    pending,
  };
  return { view, asked };
}

describe('nearestInView', () => {
  it('when the query has at most columnsUpTo non-zero components, should take candidates from the columns once they are full, else from the index', () => {
    const sparse = recordingView(2);
    assert.deepEqual(Array.from(nearestInView(sparse.view, Float32Array.of(0, 0.6, 0.8, 0), 1).keys), [3n]);
    const dense = recordingView(2);
    assert.deepEqual(Array.from(nearestInView(dense.view, Float32Array.of(0.1, 0.6, 0.8, 0), 1).keys), [3n]);
    const filling = recordingView(2, new Map(), false);
    assert.deepEqual(Array.from(nearestInView(filling.view, Float32Array.of(0, 0.6, 0.8, 0), 1).keys), [3n]);
    assert.deepEqual([sparse.asked, dense.asked, filling.asked], [['columns 1,2'], ['index'], ['index']], 'columns still being filled leave it to the index');
  });

  it('when candidates come from the columns, should still rank pending changes beside them and never a stale key', () => {
    const { view } = recordingView(4, new Map([[3n, null], [9n, Float32Array.of(0, 0, 0.9, 0.1)]]));
    // Key 3 was deleted since the columns were last brought up to date; key 9 is new.
    assert.deepEqual(Array.from(nearestInView(view, Float32Array.of(0, 0, 1, 0), 3).keys), [9n, 1n, 2n]);
  });

  it('when candidates come from the columns, should score fewer again than from the index, and as many more as changes are pending', () => {
    const asked: string[] = [];
    const none = { keys: new BigUint64Array(0), distances: new Float32Array(0) };
    const view: AnnView = {
      index: { size: () => 10_000, search: (_query, wanted) => { asked.push(`index ${wanted}`); return none; } },
      vectors: new Map(),
      columns: () => ({ search: (_query, wanted) => { asked.push(`columns ${wanted}`); return none; } }),
      columnsUpTo: 2,
      pending: new Map([[7n, Float32Array.of(0, 1, 0, 0)]]),
    };
    nearestInView(view, Float32Array.of(0, 1, 0, 0), 50);
    nearestInView(view, Float32Array.of(0.5, 0.5, 0.5, 0.5), 50);
    assert.deepEqual(asked, [`columns ${columnsRescoreDepth(50) + 1}`, `index ${rescoreDepth(50) + 1}`]);
    assert.ok(columnsRescoreDepth(50) < rescoreDepth(50));
  });
});
