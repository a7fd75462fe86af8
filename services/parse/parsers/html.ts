import { Parser } from 'htmlparser2';
import type { ParsedDocument } from '../parsed-document.ts';
import { HtmlBlocks, isBlockElement } from './html-blocks.ts';
import { SectionBuilder } from './section-builder.ts';

/** Elements that are never readable content; everything inside them is skipped. */
export const UNREADABLE_ELEMENTS: ReadonlySet<string> = new Set([
  'script', 'style', 'nav', 'noscript', 'head', 'template', 'iframe', 'svg',
]);

const HEADING = /^h([1-6])$/;

/**
 * HTML → one Section per heading, straight from htmlparser2's tag and text events: no DOM, and
 * no detour through Markdown (converting to Markdown and parsing that took 400 ms for a 100 KB
 * page; this walk takes a few ms). Headings outside lists, quotes and tables start sections with
 * their heading path (h1 > h2 > h3); paragraphs and other blocks become blocks; text is
 * whitespace-collapsed as a browser would, `<br>` is a line break, `<pre>` keeps its text as is;
 * list items become lines; each table row becomes one line (`cell | cell`); images give their alt
 * text. Scripts, styles, navigation and the like are dropped. Title = the `<title>` element
 * (not an SVG `<title>`, which is a tooltip), else the first h1.
 */
export function parseHtml(html: string): ParsedDocument {
  const builder = new SectionBuilder();
  const blocks = new HtmlBlocks(builder);
  // `as`: these change inside the parser's callbacks, which control-flow narrowing cannot see.
  let title = null as string | null;
  let titleText = null as string | null;
  let svgDepth = 0;
  let skipDepth = 0;
  // The heading being read, and its tag; while set, all text goes into it.
  let heading = null as { readonly tag: string; readonly depth: number; text: string } | null;

  const parser = new Parser({
    onopentag(name, attributes) {
      if (name === 'svg') svgDepth += 1;
      if (name === 'title' && svgDepth === 0 && title === null) titleText = '';
      if (skipDepth > 0 || UNREADABLE_ELEMENTS.has(name)) {
        if (UNREADABLE_ELEMENTS.has(name)) skipDepth += 1;
        return;
      }
      if (heading !== null) {
        // Inline markup joins the heading's text; a line or block break inside it is a space.
        if (name === 'img') heading.text += attributes.alt ?? '';
        else if (name === 'br' || isBlockElement(name)) heading.text += ' ';
        return;
      }
      const level = HEADING.exec(name);
      if (level !== null && blocks.atTopLevel()) {
        blocks.endBlock();
        heading = { tag: name, depth: Number(level[1]), text: '' };
        return;
      }
      blocks.open(name, attributes);
    },
    ontext(text) {
      if (titleText !== null) titleText += text;
      if (skipDepth > 0) return;
      if (heading !== null) heading.text += text;
      else blocks.text(text);
    },
    onclosetag(name) {
      if (name === 'svg') svgDepth -= 1;
      if (name === 'title' && titleText !== null) {
        const text = titleText.replace(/\s+/g, ' ').trim();
        if (text !== '') title = text;
        titleText = null;
      }
      if (skipDepth > 0) {
        if (UNREADABLE_ELEMENTS.has(name)) skipDepth -= 1;
        return;
      }
      if (heading !== null) {
        if (name !== heading.tag) return;
        builder.heading(heading.depth, heading.text);
        heading = null;
        return;
      }
      blocks.close(name);
    },
  });
  parser.end(html);
  if (heading !== null) builder.heading(heading.depth, heading.text);
  blocks.endBlock();
  const parsed = builder.finish();
  return { title: title ?? parsed.title, sections: parsed.sections };
}
