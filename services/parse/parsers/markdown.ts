import { fromMarkdown } from 'mdast-util-from-markdown';
import { toString } from 'mdast-util-to-string';
import type { ParsedDocument, Section } from '../parsed-document.ts';

// Node types derived from the parser itself, so we need no direct dependency on @types/mdast.
type Root = ReturnType<typeof fromMarkdown>;
type MdNode = Root | Root['children'][number];

/** Blocks inside one section are separated by a blank line, which the chunker splits on first. */
const BLOCK_SEPARATOR = '\n\n';

/**
 * Markdown → one Section per heading, carrying the heading path (h1 > h2 > h3), with the text
 * stripped of markup: links become their text, images their alt text, code blocks stay as code,
 * list items become lines. Raw HTML is dropped. Title = the first h1, if any.
 */
export function parseMarkdown(markdown: string): ParsedDocument {
  const root = fromMarkdown(markdown);
  const sections: Section[] = [];
  // levels[d - 1] holds the current heading of depth d; deeper levels reset on each heading.
  const levels: (string | undefined)[] = [];
  let headings: string[] = [];
  let blocks: string[] = [];
  let title: string | null = null;

  const flush = () => {
    const text = blocks.join(BLOCK_SEPARATOR).trim();
    if (text !== '') sections.push({ headings, text });
    blocks = [];
  };

  for (const node of root.children) {
    if (node.type === 'heading') {
      flush();
      const heading = inlineText(node).replace(/\s+/g, ' ').trim();
      if (node.depth === 1 && title === null && heading !== '') title = heading;
      levels.length = node.depth - 1;
      levels[node.depth - 1] = heading;
      headings = levels.filter((h): h is string => h !== undefined && h !== '');
      continue;
    }
    const text = blockText(node);
    if (text.trim() !== '') blocks.push(text);
  }
  flush();
  return { title, sections };
}

/** Readable text of a block node (and anything nested in it). */
function blockText(node: MdNode): string {
  switch (node.type) {
    case 'code':
      return node.value;
    case 'html':
    case 'thematicBreak':
    case 'definition':
      return '';
    case 'paragraph':
    case 'heading':
      return inlineText(node);
    case 'list': {
      let number = node.start ?? 1;
      return node.children
        .map((item) => {
          const line = item.children.map(blockText).filter((t) => t.trim() !== '').join('\n');
          // Ordered-list numbers carry meaning (steps); bullets do not.
          return node.ordered ? `${number++}. ${line}` : line;
        })
        .join('\n');
    }
    default:
      if ('children' in node) {
        return node.children
          .map((child) => blockText(child))
          .filter((t) => t.trim() !== '')
          .join(BLOCK_SEPARATOR);
      }
      return toString(node, { includeHtml: false });
  }
}

/**
 * Readable text of phrasing content. mdast-util-to-string joins children with nothing, which
 * would glue the words on either side of a hard line break (`<br>` in converted HTML) together.
 */
function inlineText(node: MdNode): string {
  if (node.type === 'break') return '\n';
  if (node.type === 'html') return '';
  if ('children' in node) {
    return node.children.map((child) => inlineText(child)).join('');
  }
  return toString(node, { includeHtml: false });
}
