import assert from 'node:assert/strict';
import { parseMarkdown } from './markdown.ts';

const SIZE = 300_000;
const allText = (markdown: string) => parseMarkdown(markdown).sections.map((s) => s.text).join('\n');

// The inputs that took the mdast parser tens of seconds at tens of KB (quadratic). Speed is
// measured in `npm run bench`; here the mocha timeout is the only clock, and each must parse.
describe('parseMarkdown', () => {
  describe('when given inputs that are quadratic for some Markdown parsers, at 300 KB', () => {
    it('should parse nested brackets as their text', () => {
      const n = SIZE / 2;
      const text = allText(`${'['.repeat(n)}a${']'.repeat(n)}`);
      assert.equal(text.length, 2 * n + 1);
      assert.equal(text[n], 'a');
    });

    it('should parse a run of unfinished link-reference definitions as text', () => {
      const text = allText('[a]: <'.repeat(SIZE / 6));
      assert.ok(text.startsWith('[a]: <[a]: <'), text.slice(0, 40));
      assert.equal(text.length, SIZE);
    });

    it('should parse lists and block quotes nested thousands deep without losing text', () => {
      const depth = 3000;
      const list = Array.from({ length: depth }, (_, i) => `${'  '.repeat(i)}- item${i}`).join('\n');
      const quotes = `${'> '.repeat(SIZE / 2 - 10)}deep`;
      for (const markdown of [list, quotes]) {
        const doc = parseMarkdown(`# Hostile\n\n${markdown}\n\n## After\n\ntail words`);
        assert.deepEqual(doc.sections.at(-1), { headings: ['Hostile', 'After'], text: 'tail words' });
      }
      const listText = allText(list);
      for (const i of [0, 1, 50, 2999]) assert.ok(listText.includes(`item${i}`), `item${i} kept`);
      assert.match(allText(quotes), /deep$/);
    });
  });

  describe('when a document has a table of contents', () => {
    it('should drop a list whose every word links into the page, and keep lists with other words, links or code', () => {
      const doc = parseMarkdown([
        '# Guide', '', '## Contents', '', '- [Install](#install)', '  1. [On Linux](#on-linux)', '- [Use **it**](#use)', '',
        '## Install', '', '- [Install](#install) first', '- See [the site](https://example.org)', '', 'a', '',
        '- [Setup](#setup)', '  - plain words', '', 'b', '', '- [run](#run)', '', '  ```', '  npm start', '  ```', '', 'c', '',
        '- [![Tips](tip.png)](#tips)', '', 'd', '', '- [¶](#x)',
      ].join('\n'));
      assert.deepEqual(doc.sections, [
        { headings: ['Guide', 'Install'], text: 'Install first\nSee the site\n\na\n\nSetup\nplain words\n\nb\n\nrun\nnpm start\n\nc\n\nd\n\n¶' },
      ]);
    });

    it('should find it in one pass however deep its lists nest', () => {
      const depth = 3000;
      const contents = Array.from({ length: depth }, (_, i) => `${'  '.repeat(i)}- [part${i}](#part${i})`).join('\n');
      assert.deepEqual(parseMarkdown(`# Deep\n\n${contents}\n\nafter`).sections, [{ headings: ['Deep'], text: 'after' }]);
    });
  });

  describe('when lists and quotes nest as deep as real documents do', () => {
    it('should keep every item', () => {
      const depth = 40;
      const list = Array.from({ length: depth }, (_, i) => `${'  '.repeat(i)}- item${i}`).join('\n');
      const quote = `${'> '.repeat(depth)}deep words`;
      const text = allText(`${list}\n\n${quote}`);
      for (let i = 0; i < depth; i++) assert.ok(text.includes(`item${i}\n`), `item${i} kept`);
      assert.match(text, /deep words$/);
    });
  });
});
