import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { makePdf, makePdfBook } from '../../test/fixtures/make-pdf.ts';
import { PermanentError } from '../../messaging/errors.ts';
import { detectMimeType, isSupportedMimeType, normalizeMimeType, SUPPORTED_MIME_TYPES } from '../../schema/mime-types.ts';
import { parseDocument } from './parse-document.ts';
import { MAX_OUTLINE_ENTRIES } from './parsers/pdf-outline.ts';
import type { ParsedDocument } from './parsed-document.ts';

const fixture = (name: string) => readFile(new URL(`../../test/fixtures/docs/${name}`, import.meta.url));
const utf8 = (text: string) => new TextEncoder().encode(text);
const allText = (doc: ParsedDocument) => doc.sections.map((s) => s.text).join('\n');
const sectionUnder = (doc: ParsedDocument, heading: string) =>
  doc.sections.find((s) => s.headings[s.headings.length - 1] === heading);

describe('parseDocument', () => {
  describe('when the document is plain text', () => {
    it('should return one untitled section with all the text', async () => {
      const bytes = await fixture('notes.txt');
      const doc = await parseDocument(bytes, 'text/plain');
      assert.equal(doc.title, null);
      assert.equal(doc.sections.length, 1);
      assert.deepEqual(doc.sections[0]?.headings, []);
      assert.equal(doc.sections[0]?.text, bytes.toString('utf8').trim());
    });

    it('should ignore MIME parameters and case, and normalise CRLF line ends', async () => {
      const doc = await parseDocument(utf8('first line\r\nsecond line\r\n'), 'Text/Plain; charset=UTF-8');
      assert.equal(doc.sections[0]?.text, 'first line\nsecond line');
    });

    it('should return no sections when the text is blank', async () => {
      const doc = await parseDocument(utf8(' \n\n\t'), 'text/plain');
      assert.deepEqual(doc.sections, []);
    });
  });

  describe('when the document is Markdown', () => {
    it('should give each section its heading path and take the first h1 as title', async () => {
      const doc = await parseDocument(await fixture('guide.md'), 'text/markdown');
      assert.equal(doc.title, 'Sourdough Baking Guide');
      assert.deepEqual(sectionUnder(doc, 'Reviving a Sluggish Starter')?.headings, [
        'Sourdough Baking Guide',
        'The Starter',
        'Reviving a Sluggish Starter',
      ]);
      // A sibling h2 after an h3 pops back to the h1 > h2 level.
      assert.deepEqual(sectionUnder(doc, 'Mixing the Dough')?.headings, ['Sourdough Baking Guide', 'Mixing the Dough']);
    });

    it('should keep text before the first heading in a section without headings', async () => {
      const doc = await parseDocument(utf8('Preface words.\n\n# Title\n\nBody words.'), 'text/x-markdown');
      assert.deepEqual(doc.sections[0], { headings: [], text: 'Preface words.' });
      assert.deepEqual(doc.sections[1], { headings: ['Title'], text: 'Body words.' });
    });

    it('should strip markup but keep code, link text and list items as lines', async () => {
      const markdown = [
        '# Doc',
        'See [the **manual**](https://example.com/manual) and `npm test`.',
        '- first item',
        '- second item',
        '```sh\nnpm install --save thing\n```',
      ].join('\n\n');
      const doc = await parseDocument(utf8(markdown), 'text/markdown');
      const text = allText(doc);
      assert.match(text, /See the manual and npm test\./);
      assert.match(text, /first item\nsecond item/);
      assert.match(text, /npm install --save thing/);
      assert.doesNotMatch(text, /https:\/\/example\.com|\*\*|```|^#|^- /m);
    });

    it('should have no title when there is no h1', async () => {
      const doc = await parseDocument(utf8('## Only a subheading\n\ntext'), 'text/markdown');
      assert.equal(doc.title, null);
      assert.deepEqual(doc.sections[0]?.headings, ['Only a subheading']);
    });
  });

  describe('when the document is HTML', () => {
    it('should take the title from <title> and keep heading paths', async () => {
      const doc = await parseDocument(await fixture('page.html'), 'text/html; charset=utf-8');
      assert.equal(doc.title, 'Keeping an Indoor Bonsai Healthy');
      assert.deepEqual(sectionUnder(doc, 'Root Pruning')?.headings, [
        'Indoor Bonsai Care',
        'Pruning and Wiring',
        'Root Pruning',
      ]);
      assert.match(sectionUnder(doc, 'Watering')?.text ?? '', /chopstick/);
    });

    it('should drop scripts, styles, navigation and noscript content and link targets', async () => {
      const text = allText(await parseDocument(await fixture('page.html'), 'text/html'));
      assert.match(text, /fertiliser guide/);
      for (const unwanted of ['window.analytics', 'font-family', 'Shop', 'Enable JavaScript', '/guides/fertiliser', '<']) {
        assert.ok(!text.includes(unwanted), `parsed text should not contain ${JSON.stringify(unwanted)}`);
      }
    });

    it('should keep each table row on one line', async () => {
      const text = allText(await parseDocument(await fixture('page.html'), 'text/html'));
      assert.match(text, /White cottony spots \| Mealybugs; wipe with alcohol/);
    });

    it('should fall back to the first h1 as title and accept application/xhtml+xml', async () => {
      const html = '<html><body><h1>Hello <em>there</em></h1><p>Line one<br>line two</p></body></html>';
      const doc = await parseDocument(utf8(html), 'application/xhtml+xml');
      assert.equal(doc.title, 'Hello there');
      assert.deepEqual(doc.sections, [{ headings: ['Hello there'], text: 'Line one\nline two' }]);
    });
  });

  describe('when the document is a PDF', () => {
    it('should extract the page text and the title from the information dictionary', async () => {
      const lines = ['Hello PDF world', 'Tides (and) currents', 'Caf\u00e9 au lait'];
      const doc = await parseDocument(makePdf(lines, 'Tide Tables'), 'application/pdf');
      assert.equal(doc.title, 'Tide Tables');
      assert.equal(doc.sections.length, 1);
      assert.deepEqual(doc.sections[0]?.headings, []);
      for (const line of lines) assert.ok(doc.sections[0]?.text.includes(line), `missing ${line}`);
    });

    it('should give the text under each outline entry its path of titles, by explicit or named destination, without running headers', async () => {
      const doc = await parseDocument(makePdfBook({
        title: 'Tide Almanac',
        pages: [
          ['Tide Almanac', 'A handbook for sailors.'],
          ['Tide Almanac - 2', '1 Tides', 'The moon pulls the sea.', '1.1 Spring tides', 'Spring tides come at new and full moon,'],
          ['Tide Almanac - 3', 'when the sun and moon pull together.', '2 Currents', 'Rip currents run out to sea.'],
        ],
        outline: [
          { title: 'Tides', page: 1, children: [{ title: 'Spring tides', page: 1, named: true }] },
          { title: 'Currents', page: 2, named: true },
        ],
      }), 'application/pdf');
      assert.equal(doc.title, 'Tide Almanac');
      assert.deepEqual(doc.sections, [
        { headings: [], text: 'Tide Almanac\nA handbook for sailors.' },
        { headings: ['Tides'], text: 'The moon pulls the sea.' },
        { headings: ['Tides', 'Spring tides'], text: 'Spring tides come at new and full moon,\nwhen the sun and moon pull together.' },
        { headings: ['Currents'], text: 'Rip currents run out to sea.' },
      ]);
    });

    it('should not repeat in the path an entry whose title is its parent\u2019s', async () => {
      const doc = await parseDocument(makePdfBook({
        pages: [['Quick Start Guide', 'Release 3'], ['Quick Start Guide', '1. Introduction', 'Valgrind is a tool suite.']],
        outline: [{ title: 'Quick Start Guide', page: 0, children: [{ title: 'Quick Start Guide', page: 1, children: [{ title: '1. Introduction', page: 1 }] }] }],
      }), 'application/pdf');
      assert.deepEqual(doc.sections, [
        { headings: ['Quick Start Guide'], text: 'Release 3' },
        { headings: ['Quick Start Guide', '1. Introduction'], text: 'Valgrind is a tool suite.' },
      ]);
    });

    it('should start an entry whose title is not on its page at the line its destination shows from', async () => {
      const doc = await parseDocument(makePdfBook({
        pages: [['Neap tides are small.', 'Spring tides are large.', 'Table of tide heights', 'Dover 6.7 m']],
        outline: [{ title: 'Heights', page: 0, line: 2 }],
      }), 'application/pdf');
      assert.deepEqual(doc.sections, [
        { headings: [], text: 'Neap tides are small.\nSpring tides are large.' },
        { headings: ['Heights'], text: 'Table of tide heights\nDover 6.7 m' },
      ]);
    });

    it(`should read at most ${MAX_OUTLINE_ENTRIES} outline entries, and the whole text still`, async () => {
      const count = MAX_OUTLINE_ENTRIES + 500;
      const lines = Array.from({ length: 40 }, (_, i) => `Entry ${i}`);
      const doc = await parseDocument(makePdfBook({
        pages: [lines, ['Last entry', 'words after it']],
        outline: Array.from({ length: count }, (_, i) => ({ title: i === count - 1 ? 'Last entry' : `Entry ${i % 40}`, page: i === count - 1 ? 1 : 0 })),
      }), 'application/pdf');
      assert.ok(doc.sections.length <= 41, `${doc.sections.length} sections`);
      assert.ok(!doc.sections.some((section) => section.headings.includes('Last entry')), 'the entry past the limit is not read');
      assert.match(doc.sections.at(-1)?.text ?? '', /Last entry\nwords after it$/);
    });

    it('should cut a PDF without an outline at its larger type, without its contents and page numbers', async () => {
      const body = (text: string) => ({ text, size: 10 });
      const doc = await parseDocument(makePdfBook({
        labels: [{ from: 0, style: 'r' }, { from: 1, style: 'D' }],
        pages: [
          [{ text: 'Tide Almanac', size: 20 }, { text: 'Contents', size: 14 }, body('1 Tides . . . . . . . . 1'), body('1.1 Spring tides . . . . . 1'), body('2 Currents . . . . . . . 2'), body('i')],
          [body('1'), { text: '1 Tides', size: 14 }, body('The moon pulls the sea.'), { text: '1.1 Spring tides', size: 12 }, body('They come at new and full moon,')],
          [body('when the sun and moon pull together.'), { text: '2 Currents', size: 14 }, body('Rip currents run out to sea.'), body('2')],
        ],
      }), 'application/pdf');
      assert.equal(doc.title, 'Tide Almanac');
      assert.deepEqual(doc.sections, [
        { headings: ['Tide Almanac', '1 Tides'], text: 'The moon pulls the sea.' },
        { headings: ['Tide Almanac', '1 Tides', '1.1 Spring tides'], text: 'They come at new and full moon,\nwhen the sun and moon pull together.' },
        { headings: ['Tide Almanac', '2 Currents'], text: 'Rip currents run out to sea.' },
      ]);
    });

    it('should have no title when the PDF sets none and its first page shows no larger text', async () => {
      const doc = await parseDocument(makePdf(['untitled']), 'application/pdf');
      assert.equal(doc.title, null);
    });

    it('should take the first page\u2019s larger text as the title when the PDF sets none, and the set one first', async () => {
      const pages = [
        [{ text: 'Tide Almanac', size: 24 }, { text: 'for Sailors', size: 24 }, 'By the harbour office', { text: 'Draft', size: 13 }],
        [{ text: 'Later large text', size: 30 }, 'The body of the almanac is set in twelve point type, as most of its text is.'],
      ];
      assert.equal((await parseDocument(makePdfBook({ pages }), 'application/pdf')).title, 'Tide Almanac for Sailors');
      assert.equal((await parseDocument(makePdfBook({ pages, title: 'Set Title' }), 'application/pdf')).title, 'Set Title');
      // Past MAX_TITLE_CHARACTERS (1,000) in large text: a poster, not a title.
      const poster = Array.from({ length: 30 }, (_, i) => ({ text: `Line ${i} of a poster set in large type`, size: 24 }));
      const body = Array.from({ length: 40 }, () => 'Body text set in twelve point type, line after line.');
      assert.equal((await parseDocument(makePdfBook({ pages: [poster, body] }), 'application/pdf')).title, null);
    });

    it('should leave the caller\u2019s bytes usable', async () => {
      const bytes = makePdf(['reuse me']);
      await parseDocument(bytes, 'application/pdf');
      const again = await parseDocument(bytes, 'application/pdf');
      assert.match(allText(again), /reuse me/);
    });

    it('should not print pdf.js warnings when it has to repair the file', async () => {
      const broken = Buffer.from(makePdf(['repaired text'])).toString('latin1').replace(/startxref\n\d+/, 'startxref\n999999');
      const printed: unknown[] = [];
      const saved = { log: console.log, warn: console.warn, info: console.info, error: console.error };
      const capture = (...args: unknown[]) => void printed.push(args);
      Object.assign(console, { log: capture, warn: capture, info: capture, error: capture });
      try {
        const doc = await parseDocument(Buffer.from(broken, 'latin1'), 'application/pdf');
        assert.match(allText(doc), /repaired text/);
      } finally {
        Object.assign(console, saved);
      }
      assert.deepEqual(printed, []);
    });

    it('should throw PermanentError when the bytes are not a PDF', async () => {
      await assert.rejects(parseDocument(utf8('definitely not a pdf'), 'application/pdf'), (error: unknown) => {
        assert.ok(error instanceof PermanentError);
        assert.match(error.message, /cannot read PDF/);
        return true;
      });
    });
  });

  describe('when the input cannot be parsed', () => {
    it('should throw PermanentError naming the type and listing the supported ones', async () => {
      await assert.rejects(parseDocument(utf8('x'), 'image/png'), (error: unknown) => {
        assert.ok(error instanceof PermanentError);
        assert.match(error.message, /image\/png/);
        for (const type of SUPPORTED_MIME_TYPES) assert.ok(error.message.includes(type), `should list ${type}`);
        return true;
      });
    });

    it('should throw PermanentError when text is not valid UTF-8', async () => {
      const latin1 = Uint8Array.from([0x63, 0x61, 0x66, 0xe9, 0x20, 0x6e, 0x6f, 0x69, 0x72]); // "café noir" in Latin-1
      for (const type of ['text/plain', 'text/markdown', 'text/html']) {
        await assert.rejects(parseDocument(latin1, type), (error: unknown) => {
          assert.ok(error instanceof PermanentError);
          assert.match(error.message, /UTF-8/);
          assert.ok(error.message.includes(type));
          return true;
        });
      }
    });

    it('should throw PermanentError when "text" holds NUL bytes', async () => {
      await assert.rejects(parseDocument(Uint8Array.from([0x61, 0x00, 0x62]), 'text/plain'), PermanentError);
    });
  });

  describe('when the signal is aborted', () => {
    it('should reject with the signal\u2019s reason before parsing', async () => {
      const reason = new Error('shutting down');
      for (const type of ['text/plain', 'application/pdf']) {
        await assert.rejects(parseDocument(makePdf(['x']), type, AbortSignal.abort(reason)), (error) => error === reason);
      }
    });
  });
});

describe('detectMimeType', () => {
  describe('when a name or URL has a known extension', () => {
    it('should map it to its type, ignoring case, query and fragment', () => {
      const bytes = utf8('just words');
      assert.equal(detectMimeType(bytes, 'notes.TXT'), 'text/plain');
      assert.equal(detectMimeType(bytes, 'guide.md'), 'text/markdown');
      assert.equal(detectMimeType(bytes, 'docs/guide.markdown'), 'text/markdown');
      assert.equal(detectMimeType(bytes, 'https://example.com/a/page.htm?x=1.pdf#top'), 'text/html');
      assert.equal(detectMimeType(bytes, 'https://example.com/index.html'), 'text/html');
      assert.equal(detectMimeType(bytes, 'paper.pdf'), 'application/pdf');
    });
  });

  describe('when the bytes carry a signature', () => {
    it('should recognise a PDF even under a misleading name', () => {
      assert.equal(detectMimeType(makePdf(['x'])), 'application/pdf');
      assert.equal(detectMimeType(makePdf(['x']), 'download.txt'), 'application/pdf');
    });

    it('should recognise a leading doctype or html tag', () => {
      assert.equal(detectMimeType(utf8('\ufeff\n  <!DOCTYPE html><html></html>')), 'text/html');
      assert.equal(detectMimeType(utf8('<html lang="en"><body></body></html>'), 'https://example.com/page'), 'text/html');
    });
  });

  describe('when only UTF-8 text identifies the content (code, logs, notes)', () => {
    it('should read it as plain text', () => {
      assert.equal(detectMimeType(utf8('plain words')), 'text/plain');
      assert.equal(detectMimeType(utf8('<htmlish>'), 'README'), 'text/plain');
    });
  });

  describe('when nothing identifies the content', () => {
    it('should return null for binary content', () => {
      assert.equal(detectMimeType(Uint8Array.from([0x1f, 0x8b, 0x08, 0x00, 0xff]), 'archive.tar.gz'), null);
      assert.equal(detectMimeType(utf8('a\u0000b')), null);
      assert.equal(detectMimeType(utf8('PK\u0003\u0004 not an office document')), null);
    });
  });
});

describe('normalizeMimeType and isSupportedMimeType', () => {
  describe('when a type carries parameters or capitals', () => {
    it('should reduce it to the bare lower-case type that parseDocument accepts', () => {
      const type = normalizeMimeType(' Text/HTML ; charset=UTF-8');
      assert.equal(type, 'text/html');
      assert.equal(isSupportedMimeType(type), true);
      assert.equal(isSupportedMimeType('image/png'), false);
    });
  });
});
