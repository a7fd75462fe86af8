import assert from 'node:assert/strict';
import { guardMarkdown, MAX_BRACKETS_PER_BLOCK } from './markdown-guard.ts';
import { parseMarkdown } from './parsers/markdown.ts';

describe('guardMarkdown', () => {
  it('when a document stays under every cap, should return it unchanged', () => {
    const markdown = '# Guide\n\nSee [the docs](https://example.org) and [ref].\n\n[ref]: https://example.org\n\n- a\n  - b\n\n> quoted';
    assert.equal(guardMarkdown(markdown), markdown);
  });

  it('when a block holds more brackets than the cap, should make them all literal text, and leave other blocks alone', () => {
    const crowded = '[a]'.repeat(MAX_BRACKETS_PER_BLOCK);
    const guarded = guardMarkdown(`${crowded}\n\n[kept](https://example.org)`);
    const parsed = parseMarkdown(guarded);
    assert.equal(parsed.sections[0]?.text, `${crowded}\n\nkept`);
  });

  it('when brackets sit in a fenced code block, should leave the code unchanged', () => {
    const code = '```json\n' + '[1],'.repeat(MAX_BRACKETS_PER_BLOCK) + '\n```';
    assert.equal(guardMarkdown(code), code);
  });
});
