import assert from 'node:assert/strict';
import { readConfig } from './config.ts';

describe('HYBRID_LEXICAL_WEIGHT', () => {
  it('when unset, should be the tuned lexical weight 0.9', () => {
    assert.equal(readConfig({}).hybridLexicalWeight, 0.9);
  });

  it('when set within 0..1, should be that weight', () => {
    assert.equal(readConfig({ HYBRID_LEXICAL_WEIGHT: '0.3' }).hybridLexicalWeight, 0.3);
    assert.equal(readConfig({ HYBRID_LEXICAL_WEIGHT: '0' }).hybridLexicalWeight, 0);
  });

  it('when set outside 0..1 or to no number, should refuse naming the setting and the range', () => {
    for (const raw of ['1.5', '-0.1', 'half']) {
      assert.throws(() => readConfig({ HYBRID_LEXICAL_WEIGHT: raw }), new RegExp(`HYBRID_LEXICAL_WEIGHT must be a number from 0 to 1, got "${raw}"`));
    }
  });
});
