import assert from 'node:assert/strict';
import { pdfSections } from './pdf-pages.ts';
import type { PdfLine } from './pdf-text.ts';

/** A page of lines without positions, in one size. */
const page = (...lines: string[]): PdfLine[] => lines.map((text) => ({ text, baseline: null, size: 10 }));

/** A line set in `size`. */
const sized = (text: string, size: number): PdfLine => ({ text, baseline: null, size });

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

    it('should keep a line whose number does not grow with the page, as a record\u2019s own number', () => {
      const sections = pdfSections([
        page('Invoice 1001', 'Tide tables, 2 copies', 'Total 12.00'),
        page('Invoice 1017', 'Chart of the bay', 'Total 30.00'),
        page('Invoice 1020', 'Pilot book', 'Total 45.50'),
      ], []);
      assert.deepEqual(sections, [{
        headings: [],
        text: 'Invoice 1001\nTide tables, 2 copies\nTotal 12.00\nInvoice 1017\nChart of the bay\nTotal 30.00\nInvoice 1020\nPilot book\nTotal 45.50',
      }]);
    });

    it('should keep lines of punctuation alone, and every line of a single page', () => {
      assert.deepEqual(pdfSections([page('}', 'a', '---'), page('}', 'b', '---')], []), [{ headings: [], text: '}\na\n---\n}\nb\n---' }]);
      assert.deepEqual(pdfSections([page('Header 1', 'text', 'Footer')], []), [{ headings: [], text: 'Header 1\ntext\nFooter' }]);
    });

    it('should drop a page\u2019s number alone at either end, by its label or else its place, where the pages around it show none', () => {
      const pages = [
        page('Chapter 1: Tides 3', 'The moon pulls the sea'),
        page('Chapter 1: Tides 4', 'twice a day.'),
        page('Currents', 'Rip currents run out to sea.', '- 5 -'),
        page('Chapter 2: Currents 6', 'Longshore drift', '7'),
        page('Chapter 2: Currents 7', 'moves sand.'),
      ];
      assert.deepEqual(pdfSections(pages, [], { labels: ['3', '4', '5', '6', '7'] }), [
        { headings: [], text: 'The moon pulls the sea\ntwice a day.\nCurrents\nRip currents run out to sea.\nLongshore drift\n7\nmoves sand.' },
      ]);
      // Without labels a page's number is its place in the file: the second page is "2", so "- 5 -" is text.
      assert.deepEqual(pdfSections([page('Page 1', 'intro', 'ii'), page('body', '- 5 -', 'iv')], []), [
        { headings: [], text: 'intro\nii\nbody\n- 5 -\niv' },
      ]);
      assert.deepEqual(pdfSections([page('i', 'Preface', 'Why tides.'), page('Tides', '1')], [], { labels: ['i', '1'] }), [
        { headings: [], text: 'Preface\nWhy tides.\nTides' },
      ]);
      // A front page labelled 3 that prints "iii", as DocBook's do.
      assert.deepEqual(pdfSections([page('Legal notice', 'iii'), page('Tides', 'xiv')], [], { labels: ['3', '14'] }), [
        { headings: [], text: 'Legal notice\nTides' },
      ]);
    });
  });

  describe('when words are broken across lines by a hyphen', () => {
    it('should join where the document writes the word whole, and break the rest as most of its breaks go', () => {
      // Set as TeX justifies: "improving", "cycles" and "detail" are written whole elsewhere, so those
      // breaks join, three against two that keep theirs, and so does "parallelizeable", of which the
      // document says nothing.
      const sections = pdfSections([
        page('CPU cycles per byte, improv-', 'ing state of the art (6-7 CPU cy-', 'cles/byte). It computes a word-by-', 'word CRC'),
        page('of non-', 'overlapping blocks; non-overlapping blocks,', 'parallel-', 'izeable from February-', 'March, and x = a-', 'B, improving in detail', 'and in de-', 'tail.'),
      ], []);
      assert.deepEqual(sections, [{
        headings: [],
        text: 'CPU cycles per byte, improving\nstate of the art (6-7 CPU cycles/byte).\nIt computes a word-by-word\nCRC\n' +
          'of non-overlapping\nblocks; non-overlapping blocks,\nparallelizeable\nfrom February-\nMarch, and x = a-\nB, improving in detail\nand in detail.',
      }]);
    });

    it('should keep the hyphen where the document breaks lines only at hyphens, and add no blank line', () => {
      // A ragged-right manual: its breaks are in option names, so one without evidence keeps its hyphen too.
      const sections = pdfSections([
        page('specify --allow-mismatched-', 'debuginfo=yes and --vgdb-stop-', 'at=startup,exit', 'over a single-', 'stage link.'),
      ], []);
      assert.deepEqual(sections, [{ headings: [], text: 'specify --allow-mismatched-debuginfo=yes\nand --vgdb-stop-at=startup,exit\nover a single-stage\nlink.' }]);
    });

    it('should read a page of 200,000 lines, in a heading size or not', () => {
      // More lines than a call takes arguments: spreading them into push() threw a RangeError.
      const lines = Array.from({ length: 200_000 }, (_, i) => `line ${i}`);
      const [section] = pdfSections([lines.map((text) => sized(text, 10))], []);
      assert.equal(section?.text.split('\n').length, 200_000);
      const large = lines.map((text) => sized(text, 14));
      const sections = pdfSections([[...large, sized('body', 10)]], [], { headingSizes: new Set([14]) });
      assert.deepEqual(sections.map((s) => [s.headings, s.text.split('\n').length]), [[[], 200_001]]);
    });

    it('should read a hostile page\u2019s one-word line of 200,000 letters in one pass', () => {
      // Each pattern tried from every letter would take minutes here (it took 2.9 s at 40,000).
      const word = 'a'.repeat(200_000);
      assert.deepEqual(pdfSections([page(`${word}-`, `${word} x`)], []), [{ headings: [], text: `${word}-${word}\nx` }]);
    });
  });

  describe('when pages print a table of contents', () => {
    it('should drop its entries with leaders, those without between them, and its heading, across a page break', () => {
      const sections = pdfSections([
        page('Tide Almanac', 'Contents', '1 Tides 2', '1.1 Spring tides . . . . . . . 2', '1.2 Neap tides and the', 'quarter moons . . . . . . . 2'),
        page('2 Currents .............. 3', 'Index ......... iv', 'The moon pulls the sea.'),
        page('Rip currents run out to sea.', 'See 2 Currents on page 3'),
      ], []);
      assert.deepEqual(sections, [{ headings: [], text: 'Tide Almanac\nThe moon pulls the sea.\nRip currents run out to sea.\nSee 2 Currents on page 3' }]);
    });

    it('should keep a single leader line, and a list whose numbers are past the file\u2019s pages', () => {
      const menu = ['Espresso ........ 2', 'Latte ........... 4', 'Mocha ........... 5'];
      assert.deepEqual(pdfSections([page('Total ........ 3', 'paid.'), page(...menu)], []), [
        { headings: [], text: ['Total ........ 3', 'paid.', 'Espresso ........ 2', ...menu.slice(1)].join('\n') },
      ]);
    });

    it('should read a line too long to be an entry as text', () => {
      const long = `${'. '.repeat(5000)}1`;
      assert.deepEqual(pdfSections([page('Contents', long, `A .......... 1`)], []), [{ headings: [], text: `Contents\n${long}\nA .......... 1` }]);
    });
  });

  describe('when the PDF has no outline', () => {
    const sizes = new Set([14, 12]);

    it('should start a section at each run of lines in a heading size, under the larger headings before it', () => {
      const sections = pdfSections([
        [sized('Tide', 14), sized('Almanac', 14), sized('The moon pulls the sea.', 10), sized('1 Spring tides', 12), sized('They are large.', 10)],
        [sized('2 Neap tides', 12), sized('They are small.', 10), sized('Currents', 14), sized('Rip currents run out.', 10)],
      ], [], { headingSizes: sizes });
      assert.deepEqual(sections, [
        { headings: ['Tide Almanac'], text: 'The moon pulls the sea.' },
        { headings: ['Tide Almanac', '1 Spring tides'], text: 'They are large.' },
        { headings: ['Tide Almanac', '2 Neap tides'], text: 'They are small.' },
        { headings: ['Currents'], text: 'Rip currents run out.' },
      ]);
    });

    it('should keep as text a large line without a letter, and a run of large lines too long for a heading', () => {
      const poster = Array.from({ length: 12 }, (_, i) => sized(`Line ${i} of a poster set in large type`, 14));
      const sections = pdfSections([[sized('2024', 14), sized('body', 10), ...poster]], [], { headingSizes: sizes });
      assert.deepEqual(sections, [{ headings: [], text: ['2024', 'body', ...poster.map((line) => line.text)].join('\n') }]);
    });

    it('should nest headings at most 16 deep, keeping deeper ones in the text', () => {
      const many = new Set(Array.from({ length: 20 }, (_, i) => 40 - i));
      const lines = Array.from({ length: 20 }, (_, i) => [sized(`Level ${i}`, 40 - i), sized(`text ${i}`, 10)]).flat();
      const sections = pdfSections([lines], [], { headingSizes: many });
      assert.equal(sections.length, 16);
      assert.equal(sections.at(-1)!.headings.length, 16);
      assert.match(sections.at(-1)!.text, /^text 15\nLevel 16\ntext 16\n.*Level 19\ntext 19$/s);
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
      const placed = ['Neaps are small.', 'Springs are large.', 'Tables of tides', 'Tide heights', 'Dover 6.7 m'].map((text, i) => ({ text, baseline: 760 - 16 * i, size: 10 }));
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
