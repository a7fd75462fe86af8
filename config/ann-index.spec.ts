import assert from 'node:assert/strict';
import { readConfig } from './config.ts';
import { DEFAULT_ANN_INDEX_MB } from '../stores/sqlite/ann-index.ts';

describe('ANN_INDEX_MB', () => {
  it('when unset, should be the store\'s default (4096)', () => {
    assert.equal(readConfig({}).annIndexMb, 4096);
    assert.equal(DEFAULT_ANN_INDEX_MB, 4096);
    assert.equal(readConfig({ ANN_INDEX_MB: '512' }).annIndexMb, 512);
  });

  it('when under 16 MB or past 1 TiB, should refuse naming the setting', () => {
    assert.throws(() => readConfig({ ANN_INDEX_MB: '15' }), /ANN_INDEX_MB/);
    assert.throws(() => readConfig({ ANN_INDEX_MB: '1048577' }), /ANN_INDEX_MB/);
  });
});
