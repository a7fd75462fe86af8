import assert from 'node:assert/strict';
import { idPrefixUpperBound } from './document-list.ts';

describe('document list: the id range of a prefix', () => {
  it('when the prefix ends with any character, should bound exactly the ids that start with it', () => {
    for (const prefix of ['file:/docs/', 'a', 'é', '\u{1F600}', 'x\u{D7FF}', 'x\u{FFFF}']) {
      const upper = idPrefixUpperBound(prefix)!;
      const inside = [prefix, `${prefix}\u0000`, `${prefix}zzz`, `${prefix}\u{10FFFF}`];
      const outside = [upper, `${upper}a`];
      // Compared as UTF-8 bytes, as SQLite compares text.
      const bytes = (text: string) => Buffer.from(text, 'utf8');
      for (const id of inside) assert.ok(Buffer.compare(bytes(id), bytes(upper)) < 0, `${JSON.stringify(id)} < bound of ${JSON.stringify(prefix)}`);
      for (const id of outside) assert.ok(!id.startsWith(prefix), `${JSON.stringify(id)} does not start with ${JSON.stringify(prefix)}`);
      assert.doesNotMatch(upper, /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/, 'never a lone surrogate');
    }
    assert.equal(idPrefixUpperBound('x\u{D7FF}'), 'x\u{E000}');
    assert.equal(idPrefixUpperBound('x\u{10FFFF}'), null);
    assert.equal(idPrefixUpperBound(''), null);
  });
});
