import assert from 'node:assert/strict';
import type { SearchHit } from '../schema/domain.ts';
import { FUSION_WEIGHTS, fuseRankings } from './rank-fusion.ts';

function hit(chunkId: string, score: number): Omit<SearchHit, 'signals'> {
  return { chunkId, documentId: 'd', text: chunkId, score, ordinal: 0, title: null, heading: null, metadata: {} };
}

describe('relative score fusion', () => {
  it('when a hit is found by both rankings, should sum its weighted min-max scaled scores and list both ranks', () => {
    const vector = [hit('a', 0.9), hit('b', 0.8), hit('c', 0.5)];
    const lexical = [hit('d', 12), hit('c', 11), hit('e', 2)];
    const fused = fuseRankings([{ signal: 'VECTOR', hits: vector }, { signal: 'LEXICAL', hits: lexical }], 5, { VECTOR: 0.5, LEXICAL: 0.5 });
    // a: 0.5 × 1; b: 0.5 × 0.75; c: 0.5 × 0 + 0.5 × 0.9; d: 0.5 × 1; e: 0.
    assert.deepEqual(fused.map((h) => h.chunkId), ['a', 'd', 'c', 'b', 'e']);
    assert.ok(Math.abs(fused[2]!.score - 0.45) < 1e-12);
    assert.deepEqual(fused[2]!.signals, [{ signal: 'VECTOR', rank: 3, score: 0.5 }, { signal: 'LEXICAL', rank: 2, score: 11 }]);
    assert.deepEqual(fused[1]!.signals, [{ signal: 'LEXICAL', rank: 1, score: 12 }]);
  });

  it('when the weights favour one signal, should let its order win where the rankings disagree', () => {
    const rankings = [
      { signal: 'VECTOR' as const, hits: [hit('a', 0.9), hit('b', 0.1)] },
      { signal: 'LEXICAL' as const, hits: [hit('b', 5), hit('a', 1)] },
    ];
    assert.deepEqual(fuseRankings(rankings, 2, { VECTOR: 0.9, LEXICAL: 0.1 }).map((h) => h.chunkId), ['a', 'b']);
    assert.deepEqual(fuseRankings(rankings, 2, { VECTOR: 0.1, LEXICAL: 0.9 }).map((h) => h.chunkId), ['b', 'a']);
    assert.equal(FUSION_WEIGHTS.LEXICAL + FUSION_WEIGHTS.VECTOR, 1);
  });

  it('when a ranking holds one score only, should scale it to 1; when fused scores tie, order by chunk id and cut at k', () => {
    const fused = fuseRankings([
      { signal: 'VECTOR', hits: [hit('b', 0.3)] },
      { signal: 'LEXICAL', hits: [hit('a', 7)] },
    ], 1, { VECTOR: 0.5, LEXICAL: 0.5 });
    assert.deepEqual(fused.map((h) => [h.chunkId, h.score]), [['a', 0.5]]);
  });

  it('when a ranking is empty, should keep the other ranking order', () => {
    const fused = fuseRankings([{ signal: 'VECTOR', hits: [hit('a', 0.9), hit('b', 0.2)] }, { signal: 'LEXICAL', hits: [] }], 5);
    assert.deepEqual(fused.map((h) => h.chunkId), ['a', 'b']);
  });
});
