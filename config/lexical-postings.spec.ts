import assert from 'node:assert/strict';
import { readConfig } from './config.ts';
import { DEFAULT_POSTINGS_MB } from '../stores/sqlite/lexical-postings.ts';

describe('LEXICAL_POSTINGS_MB', () => {
  it('when unset, should be the store\'s default (1024); 0 should turn the postings off', () => {
    assert.equal(readConfig({}).lexicalPostingsMb, 1024);
    assert.equal(DEFAULT_POSTINGS_MB, 1024);
    assert.equal(readConfig({ LEXICAL_POSTINGS_MB: '0' }).lexicalPostingsMb, 0);
  });

  it('when negative or past 64 GiB, should refuse naming the setting', () => {
    assert.throws(() => readConfig({ LEXICAL_POSTINGS_MB: '-1' }), /LEXICAL_POSTINGS_MB/);
    assert.throws(() => readConfig({ LEXICAL_POSTINGS_MB: '65537' }), /LEXICAL_POSTINGS_MB/);
  });
});
