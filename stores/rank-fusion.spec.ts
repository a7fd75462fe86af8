import assert from 'node:assert/strict';
import type { SearchHit } from '../schema/domain.ts';
import { fuseRankings, RRF_K, withSignal } from './rank-fusion.ts';

function hit(chunkId: string, score: number): Omit<SearchHit, 'signals'> {
  return { chunkId, documentId: 'd', text: chunkId, score, ordinal: 0, title: null, metadata: {} };
}

describe('reciprocal rank fusion', () => {
  it('when a hit is found by both rankings, should rank it above hits found by one, with both ranks', () => {
    const vector = withSignal('VECTOR', [hit('a', 0.9), hit('b', 0.8), hit('c', 0.7)]);
    const lexical = withSignal('LEXICAL', [hit('d', 12), hit('c', 11)]);
    const fused = fuseRankings([{ signal: 'VECTOR', hits: vector }, { signal: 'LEXICAL', hits: lexical }], 3);
    assert.deepEqual(fused.map((h) => h.chunkId), ['c', 'a', 'd']);
    assert.deepEqual(fused[0]!.signals, [{ signal: 'VECTOR', rank: 3, score: 0.7 }, { signal: 'LEXICAL', rank: 2, score: 11 }]);
    assert.equal(fused[0]!.score, 1 / (RRF_K + 3) + 1 / (RRF_K + 2));
    assert.deepEqual(fused[2]!.signals, [{ signal: 'LEXICAL', rank: 1, score: 12 }]);
  });

  it('when scores tie, should order by chunk id and cut at k', () => {
    const fused = fuseRankings([
      { signal: 'VECTOR', hits: withSignal('VECTOR', [hit('b', 1)]) },
      { signal: 'LEXICAL', hits: withSignal('LEXICAL', [hit('a', 1)]) },
    ], 1);
    assert.deepEqual(fused.map((h) => h.chunkId), ['a']);
  });
});
