import assert from 'node:assert/strict';
import { rankingMetrics } from './eval-metrics.ts';
import { parseManPage } from './eval-corpus.ts';

describe('retrieval metrics', () => {
  it('when answers rank 1, 3, 7 and not at all, should average hit@5, MRR@10 and nDCG@10', () => {
    assert.deepEqual(rankingMetrics([1, 3, 7, null]), {
      hitAt5: 0.5,
      mrrAt10: Math.round(((1 + 1 / 3 + 1 / 7) / 4) * 1000) / 1000,
      ndcgAt10: Math.round(((1 + 1 / 2 + 1 / 3) / 4) * 1000) / 1000,
    });
  });
});

describe('man page parsing', () => {
  it('when a page has a NAME section, should make it the query and leave it out of the document', () => {
    const page = parseManPage(['.\\" comment', '.TH getpass 3', '.SH NAME', 'getpass \\- get a password', '.SH DESCRIPTION',
      'Read input without terminal', '.I echoing', 'see', '.BR termios (3).'].join('\n'));
    assert.equal(page?.query, 'getpass - get a password');
    assert.deepEqual(page?.document.sections, [{ headings: ['DESCRIPTION'], text: 'Read input without terminal\nechoing\nsee\ntermios(3).' }]);
  });
});
