import assert from 'node:assert/strict';
import { pdfSections } from './pdf-pages.ts';
import type { PdfLine } from './pdf-text.ts';

/** A page of lines without positions. */
const page = (...lines: string[]): PdfLine[] => lines.map((text) => ({ text, baseline: null }));

describe('pdfSections', () => {
  describe('when pages carry running headers and footers', () => {
    it('should drop a line that, digits aside, is the one in the same place on the page before or after', () => {
      const sections = pdfSections([
        page('Chapter 1: Tides 1', 'The moon pulls the sea', 'Page 1 of 3'),
        page('Chapter 1: Tides 2', 'twice a day.', 'Page 2 of 3'),
        page('Chapter 2: Currents 3', '}', 'Rip currents run out to sea.', 'Page 3 of 3'),
      ], []);
      assert.deepEqual(sections, [{ headings: [], text: 'The moon pulls the sea\ntwice a day.\nChapter 2: Currents 3\n}\nRip currents run out to sea.' }]);
    });

    it('should keep lines of punctuation alone, and every line of a single page', () => {
      assert.deepEqual(pdfSections([page('}', 'a', '---'), page('}', 'b', '---')], []), [{ headings: [], text: '}\na\n---\n}\nb\n---' }]);
      assert.deepEqual(pdfSections([page('Header 1', 'text', 'Footer')], []), [{ headings: [], text: 'Header 1\ntext\nFooter' }]);
    });
  });

  describe('when the PDF has an outline', () => {
    const pages = [
      page('Tide Almanac', 'for sailors'),
      page('1 Tides', 'The moon pulls the sea', '1.1 Spring tides', 'Spring tides come at new and full moon,'),
      page('when the sun and moon pull together.', 'Neap tides', 'Neap tides come at the quarter moons.'),
      page('Appendix A: Tables', 'Heights at high water.'),
    ];
    const outline = [
      { page: 1, headings: ['Tides'], top: null },
      { page: 1, headings: ['Tides', 'Spring tides'], top: null },
      { page: 2, headings: ['Tides', 'Neap tides'], top: null },
      { page: 3, headings: ['Tables'], top: null },
    ];

    it('should start a section at each entry\u2019s title line, numbered or not, leaving the line out and the text flowing across pages', () => {
      assert.deepEqual(pdfSections(pages, outline), [
        { headings: [], text: 'Tide Almanac\nfor sailors' },
        { headings: ['Tides'], text: 'The moon pulls the sea' },
        { headings: ['Tides', 'Spring tides'], text: 'Spring tides come at new and full moon,\nwhen the sun and moon pull together.' },
        { headings: ['Tides', 'Neap tides'], text: 'Neap tides come at the quarter moons.' },
        { headings: ['Tables'], text: 'Heights at high water.' },
      ]);
    });

    it('should read punctuation, case and ligatures aside, and start at the page when no line is the title', () => {
      const sections = pdfSections([page('intro'), page('2.13. NON-REGULAR Files', 'sockets', '3 Con\ufb01guration', 'keys'), page('more', 'text')], [
        { page: 1, headings: ['2.13. Nonregular files'], top: null },
        { page: 1, headings: ['Configuration'], top: null },
        { page: 2, headings: ['Not on the page'], top: null },
      ]);
      assert.deepEqual(sections, [
        { headings: [], text: 'intro' },
        { headings: ['2.13. Nonregular files'], text: 'sockets' },
        { headings: ['Configuration'], text: 'keys' },
        { headings: ['Not on the page'], text: 'more\ntext' },
      ]);
    });

    it('should start at the line just below the entry\u2019s top when no line is its title', () => {
      // Baselines fall 16 units a line from 760; the entry shows from 716, just above "Tide heights".
      const placed = ['Neaps are small.', 'Springs are large.', 'Tables of tides', 'Tide heights', 'Dover 6.7 m'].map((text, i) => ({ text, baseline: 760 - 16 * i }));
      assert.deepEqual(pdfSections([page('intro'), placed], [{ page: 1, headings: ['Heights'], top: 716 }]), [
        { headings: [], text: 'intro\nNeaps are small.\nSprings are large.\nTables of tides' },
        { headings: ['Heights'], text: 'Tide heights\nDover 6.7 m' },
      ]);
      assert.deepEqual(pdfSections([placed], [{ page: 0, headings: ['Heights'], top: 100 }]), [
        { headings: ['Heights'], text: placed.map((line) => line.text).join('\n') },
      ], 'no line within reach of the top: the page\u2019s start');
    });

    it('should take entries in page order whatever order the outline lists them in', () => {
      const sections = pdfSections([page('a'), page('B', 'b'), page('C', 'c')], [
        { page: 2, headings: ['C'], top: null },
        { page: 1, headings: ['B'], top: null },
      ]);
      assert.deepEqual(sections, [{ headings: [], text: 'a' }, { headings: ['B'], text: 'b' }, { headings: ['C'], text: 'c' }]);
    });
  });
});
