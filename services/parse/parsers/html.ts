import TurndownService from 'turndown';
import type { ParsedDocument } from '../parsed-document.ts';
import { parseMarkdown } from './markdown.ts';

/**
 * Elements that are never readable content. `head` goes too (its `title` is captured by a rule
 * first, because rules added with addRule take precedence over remove()).
 */
const UNREADABLE = new Set(['script', 'style', 'nav', 'noscript', 'head', 'template', 'iframe', 'svg']);

/**
 * HTML → Markdown with turndown (which parses with its bundled domino in Node, no DOM package
 * needed), then the Markdown parser, so headings become section paths the same way for both.
 * Title = the `<title>` element, else the first h1.
 */
export function parseHtml(html: string): ParsedDocument {
  let title: string | null = null;
  // A fresh service per call: the title rule records into this call's variable.
  const service = new TurndownService({ headingStyle: 'atx', codeBlockStyle: 'fenced', bulletListMarker: '-' });
  service.addRule('title', {
    // Upper-case nodeName means an HTML element: an SVG <title> (a tooltip) has a lower-case one.
    filter: (node) => node.nodeName === 'TITLE',
    replacement: (_content, node) => {
      const text = (node.textContent ?? '').replace(/\s+/g, ' ').trim();
      if (title === null && text !== '') title = text;
      return '';
    },
  });
  // Without the GFM plugin turndown would emit every table cell as its own paragraph;
  // one line per row ("Name | Size") keeps a row's values together for retrieval.
  service.addRule('tableCell', {
    filter: ['th', 'td'],
    replacement: (content) => ` ${content.replace(/\s+/g, ' ').trim()} |`,
  });
  service.addRule('tableRow', {
    filter: 'tr',
    replacement: (content) => `\n\n${content.trim().replace(/\s*\|$/, '')}\n\n`,
  });
  service.remove((node) => UNREADABLE.has(node.nodeName.toLowerCase()));

  const parsed = parseMarkdown(service.turndown(html));
  return { title: title ?? parsed.title, sections: parsed.sections };
}
