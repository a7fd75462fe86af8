import assert from 'node:assert/strict';
import { capOf, commonPhrases, phrasesBelow, type WeighedPhrase } from './lexical-pruning.ts';

/** Phrases as weighPhrases orders them: lowest cap (most matches) first. */
const weighed: WeighedPhrase[] = [
  { phrase: '"node"', matches: 60_000, cap: 0.1 },
  { phrase: '"options"', matches: 20_000, cap: 2.5 },
  { phrase: '"child"', matches: 3_000, cap: 6 },
  { phrase: '"execfile"', matches: 200, cap: 12 },
];

describe('lexical pruning', () => {
  it('when words match more than a twentieth of the index, should leave them out of the first pass', () => {
    assert.deepEqual(commonPhrases(weighed, 100_000).map((p) => p.phrase), ['"node"', '"options"']);
  });

  it('when every word is common, should still keep the most informative one', () => {
    assert.deepEqual(commonPhrases(weighed, 1_000).map((p) => p.phrase), ['"node"', '"options"', '"child"']);
  });

  it('when a k-th score is known, should leave out the most words whose caps together stay below it, keeping one', () => {
    assert.deepEqual(phrasesBelow(weighed, 2.7).map((p) => p.phrase), ['"node"', '"options"']);
    // A chunk holding both could score just under 2.6, so at 2.6 only "node" may be left out.
    assert.deepEqual(phrasesBelow(weighed, 2.6).map((p) => p.phrase), ['"node"']);
    assert.deepEqual(phrasesBelow(weighed, 0.1), []);
    assert.deepEqual(phrasesBelow(weighed, 1_000).map((p) => p.phrase), ['"node"', '"options"', '"child"']);
    assert.equal(capOf(phrasesBelow(weighed, 9)), 8.6);
  });
});
