import assert from 'node:assert/strict';
import { readConfig } from './config.ts';

describe('MAX_REQUEST_BYTES_HELD', () => {
  it('when unset, should be 256 MiB, or MAX_BODY_BYTES when that is larger', () => {
    assert.equal(readConfig({}).maxRequestBytesHeld, 256 * 1024 * 1024);
    assert.equal(readConfig({ MAX_BODY_BYTES: String(300 * 1024 * 1024) }).maxRequestBytesHeld, 300 * 1024 * 1024);
  });

  it('when set below MAX_BODY_BYTES, should refuse naming both and the limit', () => {
    assert.throws(
      () => readConfig({ MAX_BODY_BYTES: '65536', MAX_REQUEST_BYTES_HELD: '65535' }),
      /MAX_REQUEST_BYTES_HELD must be at least MAX_BODY_BYTES \(65536\).*got 65535/,
    );
    assert.equal(readConfig({ MAX_BODY_BYTES: '65536', MAX_REQUEST_BYTES_HELD: '65536' }).maxRequestBytesHeld, 65536);
  });
});
