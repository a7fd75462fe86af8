import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { DomUtils, ElementType, parseDocument } from 'htmlparser2';
import type { ParsedDocument } from '../parsed-document.ts';
import { isLeftOutByName, parseHtml, UNREADABLE_ELEMENTS } from './html.ts';

/** Real pages of the Node.js API reference (MIT, see test/fixtures/nodejs-doc/LICENSE). */
const PAGES = ['intl.html', 'string_decoder.html', 'documentation.html'];
const page = (name: string) => readFileSync(new URL(`../../../test/fixtures/nodejs-doc/${name}`, import.meta.url), 'utf8');
const collapse = (text: string) => text.replace(/\s+/g, ' ').trim();
const sectionUnder = (doc: ParsedDocument, heading: string) =>
  doc.sections.find((s) => s.headings[s.headings.length - 1] === heading);

type DomNode = ReturnType<typeof parseDocument>['children'][number];

/** A heading's permalink as these pages write it: `<a class="mark" href="#id">#</a>` inside the heading. */
const isPermalink = (node: DomNode) => 'attribs' in node && node.name === 'a' && node.attribs.class === 'mark' &&
  node.attribs.href?.startsWith('#') === true && DomUtils.textContent(node).trim() === '#';

/** A letter or digit outside in-page links (`href="#…"`) under `node`. */
const hasWordOutsideInPageLinks = (node: DomNode): boolean => {
  if (node.type === ElementType.Text && 'data' in node) return /[\p{L}\p{N}]/u.test(node.data);
  if (!('attribs' in node) || UNREADABLE_ELEMENTS.has(node.name)) return false;
  if (node.name === 'a' && node.attribs.href?.startsWith('#') === true) return false;
  return node.children.some(hasWordOutsideInPageLinks);
};

/** Whether an ancestor of `node` is a list, quote or table (where a paragraph is part of an item, a quote or a cell). */
const inContainer = (node: DomNode) => {
  for (let up = node.parent; up !== null; up = up.parent) {
    if ('name' in up && ['ul', 'ol', 'menu', 'li', 'blockquote', 'table', 'tr', 'td', 'th'].includes(up.name)) return true;
  }
  return false;
};

/** A table of contents: a list, or a paragraph outside containers, whose every word is in an in-page link. */
const isContents = (node: DomNode) => 'name' in node && (['ul', 'ol', 'menu'].includes(node.name) || (node.name === 'p' && !inContainer(node))) &&
  /[\p{L}\p{N}]/u.test(DomUtils.textContent(node)) && !hasWordOutsideInPageLinks(node);

/**
 * Every text node under <body> outside script, style, nav and the like, headings' permalinks and
 * tables of contents (named so, or lists of in-page links), in document order, an independent DOM parse.
 */
function bodyTexts(html: string): string[] {
  const body = DomUtils.findOne((element) => element.name === 'body', parseDocument(html).children);
  assert.ok(body, 'fixture has a <body>');
  const texts: string[] = [];
  const walk = (nodes: readonly DomNode[]) => {
    for (const node of nodes) {
      if (node.type === ElementType.Text && 'data' in node) {
        const text = collapse(node.data);
        if (text !== '') texts.push(text);
      } else if ('name' in node && 'children' in node && !UNREADABLE_ELEMENTS.has(node.name) && !isPermalink(node) && !isContents(node) &&
        !isLeftOutByName(node.name, node.attribs)) {
        walk(node.children);
      }
    }
  };
  walk(body.children);
  return texts;
}

/** The parse read back in order: each heading where it first enters the path, then each section's text. */
function readBack(doc: ParsedDocument): string {
  let previous: readonly string[] = [];
  const out: string[] = [];
  for (const section of doc.sections) {
    const shared = section.headings.findIndex((heading, i) => previous[i] !== heading);
    if (shared !== -1) out.push(...section.headings.slice(shared));
    out.push(section.text);
    previous = section.headings;
  }
  return collapse(out.join(' '));
}

describe('parseHtml', () => {
  for (const name of PAGES) {
    describe(`when given the real page ${name}`, () => {
      it('should keep every text node of the body, in document order', () => {
        const html = page(name);
        const parsed = readBack(parseHtml(html));
        const texts = bodyTexts(html);
        assert.ok(texts.length > 100, `${name} has ${texts.length} text nodes`);
        let cursor = 0;
        const lost: string[] = [];
        for (const text of texts) {
          const at = parsed.indexOf(text, cursor);
          if (at === -1) lost.push(text);
          else cursor = at + text.length;
        }
        assert.deepEqual(lost, [], `text nodes of ${name} missing from its sections (or out of order)`);
      });
    });
  }

  describe('when a page has headings, tables and code', () => {
    it('should give each section its heading path and the page its <title>', () => {
      const doc = parseHtml(page('string_decoder.html'));
      assert.equal(doc.title, 'String decoder | Node.js v18.20.4 Documentation');
      // Without the "#" permalink each heading of the page ends with.
      assert.deepEqual(sectionUnder(doc, 'stringDecoder.write(buffer)')?.headings, [
        'Node.js v18.20.4 documentation', 'String decoder', 'Class: StringDecoder', 'stringDecoder.write(buffer)',
      ]);
      assert.deepEqual(doc.sections.flatMap((s) => s.headings).filter((h) => h.endsWith('#')), []);
    });

    it('should leave permalink marks out of headings and keep the words of links in them', () => {
      const doc = parseHtml(`<h1>Guide<a class="headerlink" href="#guide" title="Permalink">¶</a></h1><p>a</p>
        <h2><a href="#install">Install</a> on Linux <a href="#install-linux" aria-label="link"><svg><path/></svg></a></h2><p>b</p>
        <h2>Use <a href="#use">§</a> it <a href="https://example.org/#x">#</a></h2><p>c</p>`);
      assert.deepEqual(doc.sections.map((s) => s.headings), [['Guide'], ['Guide', 'Install on Linux'], ['Guide', 'Use it #']]);
      assert.deepEqual(doc.sections.map((s) => s.text), ['a', 'b', 'c']);
    });

    it('should put each table row on one line of cells', () => {
      const doc = parseHtml(page('intl.html'));
      const text = doc.sections.map((s) => s.text).join('\n');
      assert.match(text, /^Feature \| none \| system-icu \| small-icu \| full-icu$/m);
      assert.match(text, /^String\.prototype\.to\*Case\(\) \| full \| full \| full \| full$/m);
    });

    it('should write a table as one block, a first row of header cells followed by a delimiter row', () => {
      const doc = parseHtml(page('intl.html'));
      const text = doc.sections.map((s) => s.text).join('\n\n');
      assert.match(text, /^Feature \| none \| system-icu \| small-icu \| full-icu\n--- \| --- \| --- \| --- \| ---\nString\.prototype\.normalize\(\) \|/m);
      assert.deepEqual(parseHtml(`<h1>T</h1><table><caption>Sizes</caption><thead><tr><th>Name</th><th>Size</th></tr></thead>
        <tbody><tr><td>fern</td><td>30 cm</td></tr><tr><td></td><td></td></tr><tr><td>moss</td><td></td></tr></tbody></table><p>after</p>`).sections,
        [{ headings: ['T'], text: 'Sizes\nName | Size\n--- | ---\nfern | 30 cm\nmoss | \n\nafter' }]);
    });

    it('should write no delimiter row under a first row with data cells, under a later header row, or for one column', () => {
      const texts = (html: string) => parseHtml(html).sections.map((s) => s.text);
      assert.deepEqual(texts('<table><tr><th>Name</th><td>fern</td></tr><tr><th>Size</th><td>30 cm</td></tr></table>'), ['Name | fern\nSize | 30 cm']);
      assert.deepEqual(texts('<table><tr><td>a</td><td>b</td></tr><tr><th>c</th><th>d</th></tr></table>'), ['a | b\nc | d']);
      assert.deepEqual(texts('<table><tr><th>Step</th></tr><tr><td>mix</td></tr></table>'), ['Step\nmix']);
    });

    it('should drop a table of contents, a list whose every word links into the page, and keep lists with other words or links', () => {
      const doc = parseHtml(page('intl.html'));
      const text = doc.sections.map((s) => s.text).join('\n');
      assert.doesNotMatch(text, /^Options for building Node\.js$/m, 'the contents list the headings again');
      assert.match(text, /^String\.prototype\.normalize\(\)$/m, 'a list of links to other pages is content here');
      assert.deepEqual(parseHtml(`<h1>Guide</h1><ul><li><a href="#a">Install</a><ol><li><a href="#b">Linux</a></li></ol></li></ul>
        <ul><li><a href="#c">Install</a> first</li><li><a href="#d">Use</a><ul><li><a href="#e">Tips</a></li></ul></li></ul>
        <ul><li><a href="/other.html">Other page</a></li><li><a href="#f">\u00b6</a></li></ul><p>end</p>`).sections,
      [{ headings: ['Guide'], text: 'Install first\nUse\n\nOther page\n\nend' }]);
    });

    it('should drop a paragraph outside lists and tables whose every word links into the page, and keep one in a table cell', () => {
      assert.deepEqual(parseHtml(`<h1>Guide</h1><p><a href="#_Toc1">Install\t2</a></p><p>See <a href="#use">Use</a>.</p>
        <p><a href="https://example.org/">Elsewhere</a></p><table><tr><td><a href="#x">readFile()</a></td><td>reads</td></tr></table>
        <p><a href="#top">Back to top</a></p>`).sections,
      [{ headings: ['Guide'], text: 'See Use.\n\nElsewhere\n\nreadFile() | reads' }]);
    });

    it('should leave out an in-page link whose whole text is a mark, as Sphinx and Texinfo put after a signature', () => {
      assert.deepEqual(parseHtml(`<h1>API</h1><dl><dt id="f">ffi_prep_cif (ffi_cif *cif)<a class="copiable-anchor" href="#f"> &para;</a></dt>
        <dd>Initializes cif.</dd></dl><p>Tides<a href="#n1">*</a> turn <a href="#sec">in section 2</a>. <a href="#top">\u2191</a></p>
        <p>Also <a href="https://example.org/">\u00b6</a> and <a href="#x">\u00b6<br>more</a></p>`).sections,
      [{ headings: ['API'], text: 'ffi_prep_cif (ffi_cif *cif)\n\nInitializes cif.\n\nTides turn in section 2.\n\nAlso \u00b6 and \u00b6\nmore' }]);
    });

    it('should drop an element named a table of contents, whatever links it holds, and keep the rest', () => {
      assert.deepEqual(parseHtml(`<h1>Massif</h1><div class="toc"><p><b>Table of Contents</b></p><dl class="toc"><dt><a href="ms.html#ms.overview">1. Overview</a></dt>
        <dd><div><a href="ms.html#ms.use">1.1. Use</a></div></dd></dl></div><p>Massif is a heap profiler.</p>
        <details id="TOC"><summary>Table of contents</summary><ul><li><a href="#x">X</a></li></ul></details>
        <nav-list class="tocbot">kept: not named toc</nav-list><div class="sidebar toc-wrapper">kept too</div>`).sections,
      [{ headings: ['Massif'], text: 'Massif is a heap profiler.\n\nkept: not named toc\n\nkept too' }]);
      assert.deepEqual(parseHtml('<body class="toc"><main id="toc"><h1>Contents</h1><p>1. Tides</p></main></body>').sections,
        [{ headings: ['Contents'], text: '1. Tides' }], 'a page of contents is still a page');
    });

    it('should drop navigation named so, as <nav> is, and keep classes that only begin like it', () => {
      assert.deepEqual(parseHtml(`<div class="navheader"><table><tr><td>Prev</td><td>Up</td><td>Next</td></tr></table></div>
        <h1>Massif</h1><table class="nav" summary="Navigation header"><tr><td><a href="a.html">Prev</a></td></tr></table>
        <div role="navigation">Home &gt; Docs</div><div class="nav-panel"><p>Next: <a href="b.html">Types</a></p></div>
        <p>Massif is a heap profiler.</p><ul class="nav-addons"><li>kept: a class that begins with nav</li></ul>
        <div class="navfooter"><div>Prev</div><div>Next</div></div>`).sections,
      [{ headings: ['Massif'], text: 'Massif is a heap profiler.\n\nkept: a class that begins with nav' }]);
    });

    it('should read a table with a heading in a cell as the page\u2019s layout: its blocks in order, the heading starting a section', () => {
      // As libxslt's reference is set: a logo row, then one cell holding the page, a table of data inside it.
      const doc = parseHtml(`<table width="100%"><tr><td><img alt="Logo"></td><td>Menu</td></tr><tr><td>Home | API</td>
        <td><h1>Guide</h1><p>Intro.</p><table><tr><th>Name</th><th>Value</th></tr><tr><td>a</td><td>1</td></tr></table>
        <h2>Usage</h2><p>Run it.</p></td></tr><tr><td>Footer</td><td>\u00a9 2024</td></tr></table><p>after</p>`);
      assert.deepEqual(doc.sections, [
        { headings: [], text: 'Logo | Menu\n\nHome | API' },
        { headings: ['Guide'], text: 'Intro.\n\nName | Value\n--- | ---\na | 1' },
        { headings: ['Guide', 'Usage'], text: 'Run it.\n\nFooter | \u00a9 2024\n\nafter' },
      ]);
    });

    it('should keep a code block\u2019s lines and indentation as they are', () => {
      const doc = parseHtml(page('string_decoder.html'));
      const text = doc.sections.map((s) => s.text).join('\n');
      assert.ok(text.includes("const { StringDecoder } = require('node:string_decoder');\nconst decoder = new StringDecoder('utf8');"));
    });
  });

  describe('when lists, quotes and line breaks are nested', () => {
    it('should make list items lines, number ordered ones from start, and keep a quote\u2019s paragraphs', () => {
      const doc = parseHtml(
        '<h2>Steps</h2><ol start="3"><li>mix<ul><li>flour</li><li>water</li></ul></li><li><p>rest</p></li></ol>' +
          '<blockquote><p>one</p><p>two<br>three</p></blockquote><p>a&amp;b <img alt="logo"> c</p>',
      );
      assert.deepEqual(doc.sections, [{ headings: ['Steps'], text: '3. mix\nflour\nwater\n4. rest\n\none\n\ntwo\nthree\n\na&b logo c' }]);
    });

    it('should not start a section at a heading inside a list item, and not take an SVG title', () => {
      const doc = parseHtml('<svg><title>icon</title></svg><h1>Top</h1><ul><li><h3>inner</h3> words</li></ul>');
      assert.equal(doc.title, 'Top');
      assert.deepEqual(doc.sections, [{ headings: ['Top'], text: 'inner\nwords' }]);
    });
  });

  describe('when elements nest thousands deep', () => {
    it('should keep every word of nested lists, quotes, tables and divs', () => {
      const depth = 10_000;
      for (const open of ['<ul><li>', '<blockquote>', '<table><tr><td>', '<div>']) {
        const doc = parseHtml(`<h1>Deep</h1>${`${open}w `.repeat(depth)}`);
        const words = doc.sections.flatMap((s) => s.text.split(/[\s|]+/)).filter((word) => word === 'w');
        assert.equal(words.length, depth, `${open} × ${depth}`);
        assert.deepEqual(doc.sections[0]?.headings, ['Deep']);
      }
    });
  });
});
