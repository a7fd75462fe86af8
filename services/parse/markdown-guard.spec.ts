import assert from 'node:assert/strict';
import { guardMarkdown, MAX_BRACKETS_PER_BLOCK, MAX_CONTAINER_MARKERS, MAX_INDENT } from './markdown-guard.ts';
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

  it('when a list nests deeper than the indentation cap, should keep its text with the indentation cut', () => {
    const lines = Array.from({ length: 200 }, (_, depth) => `${'  '.repeat(depth)}- item${depth}`);
    const guarded = guardMarkdown(lines.join('\n'));
    for (const line of guarded.split('\n')) assert.ok(/^ */.exec(line)![0].length <= MAX_INDENT, line.slice(0, 80));
    assert.match(parseMarkdown(guarded).sections[0]!.text, /item199/);
  });

  it('when one line opens more containers than the cap, should drop the extra markers and keep the text', () => {
    const guarded = guardMarkdown('> '.repeat(10_000) + 'deep words');
    assert.equal(guarded, '> '.repeat(MAX_CONTAINER_MARKERS) + 'deep words');
  });
});
