import assert from 'node:assert/strict';
import { columnsRescoreDepth, nearestInView, nearestMatchingInView, rescoreDepth, type AnnView } from './ann-view.ts';
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

  describe('with a metadata filter', () => {
    /** Keys 1–1000 along one axis each of 1000, key n at distance growing with n from the query along axis 0. */
    function lineView(asked: number[]) {
      const vectors = new Map<bigint, Float32Array>();
      for (let n = 1; n <= 1000; n++) vectors.set(BigInt(n), Float32Array.of(1, n / 100));
      const keys = [...vectors.keys()];
      const view: AnnView = {
        index: { size: () => 1000, search: (_query, wanted) => { asked.push(wanted); return { keys: BigUint64Array.from(keys.slice(0, wanted)), distances: new Float32Array(wanted) }; } },
        vectors, columns: () => null, columnsUpTo: 0,
        pending: new Map([[2n, null], [2001n, Float32Array.of(1, 0)], [2002n, Float32Array.of(1, 0)]]),
      };
      return view;
    }
    const even = (keys: readonly bigint[]) => new Set(keys.filter((key) => key % 2n === 0n));
    const above = (floor: bigint) => (keys: readonly bigint[]) => new Set(keys.filter((key) => key > floor));
    const all = (keys: (keys: readonly bigint[]) => ReadonlySet<bigint>) => () => [...keys(Array.from({ length: 1000 }, (_, i) => BigInt(i + 1)))];

    it('should ask the index for as many more candidates as the filter drops, and rank only the matching ones and the matching pending changes', () => {
      const asked: number[] = [];
      const found = nearestMatchingInView(lineView(asked), Float32Array.of(1, 0), 3, { count: 500, matching: even, all: all(even) });
      assert.deepEqual(asked, [Math.ceil(rescoreDepth(3) * 1.5 / 0.5) + 3]);
      // 2002 is new and matches; 2001 does not; 2 was deleted since the index last applied a change.
      assert.deepEqual(Array.from(found.keys), [2002n, 4n, 6n]);
    });

    it('when the index would be asked for more candidates than the filter matches chunks, should score the matching chunks exactly without asking it', () => {
      const asked: number[] = [];
      const found = nearestMatchingInView(lineView(asked), Float32Array.of(1, 0), 3, { count: 10, matching: above(990n), all: all(above(990n)) });
      assert.deepEqual(asked, []);
      assert.deepEqual(Array.from(found.keys), [991n, 992n, 993n]);
    });

    it('when fewer of the index\'s candidates match than an unfiltered search scores, should ask the index eight times deeper', () => {
      const asked: number[] = [];
      // 850 of 1000 match, all farther than the first ask reaches.
      const found = nearestMatchingInView(lineView(asked), Float32Array.of(1, 0), 3, { count: 850, matching: above(150n), all: all(above(150n)) });
      const first = Math.ceil(rescoreDepth(3) * 1.5 / 0.85);
      assert.deepEqual(asked, [first + 3, Math.ceil(rescoreDepth(3) * (1.5 / 0.85) * 8) + 3]);
      // The pending changes 2001 and 2002 match too, and lie nearest.
      assert.deepEqual(Array.from(found.keys), [2001n, 2002n, 151n]);
    });

    it('when too few match and asking deeper would pass the number of matching chunks, should score the matching chunks exactly', () => {
      const asked: number[] = [];
      // Counted as half the collection, but matching only its farthest tenth.
      const found = nearestMatchingInView(lineView(asked), Float32Array.of(1, 0), 3, { count: 500, matching: above(900n), all: all(above(900n)) });
      assert.equal(asked.length, 1);
      assert.deepEqual(Array.from(found.keys), [901n, 902n, 903n]);
    });
  });
});
