import { Parser } from 'htmlparser2';
import type { ParsedDocument } from '../parsed-document.ts';
import { HtmlBlocks, isBlockElement, PERMALINK_TEXT } from './html-blocks.ts';
import { SectionBuilder } from './section-builder.ts';

/** Elements that are never readable content; everything inside them is skipped. */
export const UNREADABLE_ELEMENTS: ReadonlySet<string> = new Set([
  'script', 'style', 'nav', 'noscript', 'head', 'template', 'iframe', 'svg',
]);

const HEADING = /^h([1-6])$/;

/** Elements that hold a page's content whatever they are named. */
const CONTENT_ROOTS: ReadonlySet<string> = new Set(['html', 'body', 'main', 'article']);

/**
 * Whether an element is a table of contents or navigation by the name its generator gives it, so
 * is left out with all it holds, as `<nav>` is:
 * - contents: `class="toc"` (DocBook, MediaWiki) or `id="toc"` (Pandoc's `TOC`, the Node.js
 *   reference's `<details id="toc">`), whose entries link to the page's sections by file name as
 *   often as by `#`, so the in-page-link rule misses them;
 * - navigation: `role="navigation"` (ARIA), or the class names of DocBook's (`navheader`,
 *   `navfooter`), Texinfo's (`nav-panel`), Bootstrap's (`nav`, `navbar`) and valgrind's (`nav`)
 *   bars of Prev / Up / Next links.
 * `html`, `body`, `main` and `article` never are: a page of contents is still a page.
 */
export function isLeftOutByName(name: string, attributes: Readonly<Record<string, string>>): boolean {
  if (CONTENT_ROOTS.has(name)) return false;
  const { id, role, class: names } = attributes;
  return (id !== undefined && id.length === 3 && id.toLowerCase() === 'toc') ||
    (role !== undefined && role.toLowerCase() === 'navigation') ||
    (names !== undefined && LEFT_OUT_CLASS.test(names));
}

/** One of those class names among an element's (a pattern, not a split: it is tried on every element with a class). */
const LEFT_OUT_CLASS = /(?:^|[ \t\n\f\r])(?:toc|nav|navbar|navheader|navfooter|nav-panel)(?![^ \t\n\f\r])/i;

/**
 * HTML → one Section per heading, straight from htmlparser2's tag and text events: no DOM, and
 * no detour through Markdown (converting to Markdown and parsing that took 400 ms for a 100 KB
 * page; this walk takes a few ms). Headings outside lists, quotes and tables start sections with
 * their heading path (h1 > h2 > h3); paragraphs and other blocks become blocks; text is
 * whitespace-collapsed as a browser would, `<br>` is a line break, `<pre>` keeps its text as is;
 * list items become lines; a table one block of rows, each one line (`cell | cell`), a first row of
 * header cells followed by a delimiter row (`--- | ---`) as in Markdown; images give their alt
 * text. A permalink (an in-page link whose text is at most a mark such as `#` or `¶`) is left out
 * of its heading and of the text. Scripts, styles, navigation (`<nav>`, or an element named so)
 * and the like are dropped, and so is a table of contents (an element named so, or a list, or a
 * paragraph outside lists and tables, whose every word links into the page). A table with a heading in a cell lays out the page: it is
 * read as the blocks it holds, and the heading starts its section (html-blocks.ts). Title = the
 * `<title>` element (not an SVG `<title>`, which is a tooltip), else the first h1.
 */
export function parseHtml(html: string): ParsedDocument {
  const builder = new SectionBuilder();
  const blocks = new HtmlBlocks(builder);
  // `as`: these change inside the parser's callbacks, which control-flow narrowing cannot see.
  let title = null as string | null;
  let titleText = null as string | null;
  let svgDepth = 0;
  let skipDepth = 0;
  // A table of contents or navigation named so, being skipped with everything inside it: its tag,
  // and how deep in elements of that tag.
  let skipped = null as { readonly tag: string; depth: number } | null;
  // The heading being read, and its tag; while set, all text goes into it.
  let heading = null as { readonly tag: string; readonly depth: number; text: string } | null;
  // The text of an in-page link inside that heading, kept apart until its end shows whether it is a permalink.
  let headingLink = null as { text: string } | null;

  const parser = new Parser({
    onopentag(name, attributes) {
      if (name === 'svg') svgDepth += 1;
      if (name === 'title' && svgDepth === 0 && title === null) titleText = '';
      if (skipped !== null) {
        if (name === skipped.tag) skipped.depth += 1;
        return;
      }
      if (skipDepth > 0 || UNREADABLE_ELEMENTS.has(name)) {
        if (UNREADABLE_ELEMENTS.has(name)) skipDepth += 1;
        return;
      }
      if (isLeftOutByName(name, attributes)) {
        skipped = { tag: name, depth: 1 };
        return;
      }
      if (heading !== null) {
        // Inline markup joins the heading's text; a line or block break inside it is a space.
        if (name === 'a' && headingLink === null && attributes.href?.startsWith('#')) headingLink = { text: '' };
        else if (name === 'img') appendToHeading(heading, attributes.alt ?? '');
        else if (name === 'br' || isBlockElement(name)) appendToHeading(heading, ' ');
        return;
      }
      const level = HEADING.exec(name);
      if (level !== null && blocks.inTableCell()) blocks.dissolveLayout();
      if (level !== null && blocks.atTopLevel()) {
        blocks.endBlock();
        heading = { tag: name, depth: Number(level[1]), text: '' };
        return;
      }
      blocks.open(name, attributes);
    },
    ontext(text) {
      if (titleText !== null) titleText += text;
      if (skipDepth > 0 || skipped !== null) return;
      if (heading !== null) appendToHeading(heading, text);
      else blocks.text(text);
    },
    onclosetag(name) {
      if (name === 'svg') svgDepth -= 1;
      if (name === 'title' && titleText !== null) {
        const text = titleText.replace(/\s+/g, ' ').trim();
        if (text !== '') title = text;
        titleText = null;
      }
      if (skipped !== null) {
        if (name === skipped.tag && --skipped.depth === 0) skipped = null;
        return;
      }
      if (skipDepth > 0) {
        if (UNREADABLE_ELEMENTS.has(name)) skipDepth -= 1;
        return;
      }
      if (heading !== null) {
        if (name === 'a' && headingLink !== null) {
          const link = headingLink.text;
          headingLink = null;
          if (!PERMALINK_TEXT.test(link.trim())) heading.text += link;
        }
        if (name !== heading.tag) return;
        endHeading(heading);
        heading = null;
        return;
      }
      blocks.close(name);
    },
  });
  /** Heading text goes to the in-page link being read inside it, if any. */
  function appendToHeading(into: { text: string }, text: string): void {
    if (headingLink !== null) headingLink.text += text;
    else into.text += text;
  }
  function endHeading(ended: { readonly depth: number; text: string }): void {
    // A link left open at the heading's end (unclosed markup) keeps its text.
    if (headingLink !== null) ended.text += headingLink.text;
    headingLink = null;
    builder.heading(ended.depth, ended.text);
  }
  parser.end(html);
  if (heading !== null) endHeading(heading);
  blocks.endBlock();
  const parsed = builder.finish();
  return { title: title ?? parsed.title, sections: parsed.sections };
}
