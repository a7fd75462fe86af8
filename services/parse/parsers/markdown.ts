import MarkdownIt, { type Options } from 'markdown-it';
import { MAX_TITLE_CHARACTERS } from '../../../schema/domain.ts';
import type { ParsedDocument } from '../parsed-document.ts';
import { splitFrontMatter } from './front-matter.ts';
import { SectionBuilder } from './section-builder.ts';
import { WORD_CHARACTER } from './words.ts';

type Token = ReturnType<InstanceType<typeof MarkdownIt>['parse']>[number];

/** Blocks inside a container (a block quote) are separated by a blank line, like sections' blocks. */
const BLOCK_SEPARATOR = '\n\n';

/**
 * CommonMark (no GFM, like the mdast parser this replaced), raw HTML recognised so that it can
 * be dropped. markdown-it's token stream is about ten times faster than building an mdast tree,
 * and it has no quadratic cases on nested brackets or link-reference definitions. Its 14 line,
 * not 15: 15's published build creates each token's fields through transpiled helper calls, and
 * parsed the same pages into the same tokens at half the speed (docs/parsing.md).
 *
 * Nesting is what stays costly: each level re-reads its lines, and past `maxNesting` markdown-it
 * silently drops the rest of the document. A container level needs at least one column of line
 * prefix (`>`, or an indent or `- ` per list), so capping every line's prefix of container marks
 * at MAX_PREFIX_COLUMNS bounds the depth below MAX_NESTING: parsing stays linear and no text is
 * dropped (lines nested deeper join the deepest container). Real documents nest a few levels.
 * (The same cap bounds inline nesting, whose cost grows with it: `[` × n costs n × maxNesting.)
 */
const MAX_PREFIX_COLUMNS = 64;
const MAX_NESTING = 2 * MAX_PREFIX_COLUMNS + 8;
/** markdown-it reads `maxNesting` from its options; @types/markdown-it does not declare it. */
const OPTIONS: Options & { readonly maxNesting: number } = { maxNesting: MAX_NESTING };
const parser = new MarkdownIt('commonmark', OPTIONS);
/** A line's run of container marks: white space, `>`, and list markers followed by white space. */
const LONG_PREFIX = new RegExp(String.raw`^(?:[ 	>]|[-*+][ 	]|\d{1,9}[.)][ 	]){${MAX_PREFIX_COLUMNS},}`, 'gm');

/** Keeps the first MAX_PREFIX_COLUMNS columns of a prefix (tabs stop every 4 columns, as CommonMark's). */
function capPrefix(prefix: string): string {
  let column = 0;
  let end = 0;
  while (end < prefix.length && column < MAX_PREFIX_COLUMNS) {
    column = prefix[end] === '\t' ? column + 4 - (column % 4) : column + 1;
    end += 1;
  }
  return prefix.slice(0, end);
}

/**
 * Markdown → one Section per heading, carrying the heading path (h1 > h2 > h3), with the text
 * stripped of markup: links become their text, images their alt text, code blocks stay as code,
 * list items become lines; a table of contents and raw HTML are dropped. YAML front matter
 * (front-matter.ts) is not text: its fields are what the document declares about itself
 * (`metadata`), and its `title` (within MAX_TITLE_CHARACTERS) the title. Title = that, else the
 * first h1, if any.
 */
export function parseMarkdown(markdown: string): ParsedDocument {
  const frontMatter = splitFrontMatter(markdown);
  const parsed = parseBody(frontMatter?.body ?? markdown);
  if (frontMatter === null) return parsed;
  const title = typeof frontMatter.fields.title === 'string' ? frontMatter.fields.title.trim() : '';
  return {
    ...parsed,
    title: title !== '' && title.length <= MAX_TITLE_CHARACTERS ? title : parsed.title,
    metadata: frontMatter.fields,
  };
}

function parseBody(markdown: string): ParsedDocument {
  const tokens = parser.parse(markdown.replace(LONG_PREFIX, capPrefix), {});
  const builder = new SectionBuilder();
  let i = 0;
  while (i < tokens.length) {
    const token = tokens[i]!;
    // Only top-level headings start sections; one inside a list or quote is text of its block.
    if (token.type === 'heading_open') {
      builder.heading(Number(token.tag.slice(1)), inlineText(tokens[i + 1]!));
      i += 3;
      continue;
    }
    const [text, next] = block(tokens, i);
    builder.block(text);
    i = next;
  }
  return builder.finish();
}

/** Readable text of the block starting at tokens[i], and the index after it. */
function block(tokens: readonly Token[], i: number): [string, number] {
  const token = tokens[i]!;
  switch (token.type) {
    case 'paragraph_open':
    case 'heading_open':
      return [inlineText(tokens[i + 1]!), i + 3];
    case 'inline':
      return [inlineText(token), i + 1];
    case 'fence':
    case 'code_block':
      // markdown-it keeps the newline that ends the last line; mdast (and readers) do not.
      return [token.content.replace(/\n+$/, ''), i + 1];
    case 'bullet_list_open':
    case 'ordered_list_open':
      return list(tokens, i);
    default:
      if (token.nesting === 1) return container(tokens, i);
      // html_block, hr and anything else without readable text.
      return ['', i + 1];
  }
}

/**
 * A list: one line per item; ordered-list numbers carry meaning (steps), bullets do not. A list
 * whose every word links into the page is its table of contents, the headings again: no text (as
 * the HTML parser drops it).
 */
function list(tokens: readonly Token[], i: number): [string, number] {
  const [text, next] = listLines(tokens, i);
  return [isContents(tokens, i, next) ? '' : text, next];
}

function listLines(tokens: readonly Token[], i: number): [string, number] {
  const open = tokens[i]!;
  const ordered = open.type === 'ordered_list_open';
  let number = Number(open.attrGet('start') ?? 1);
  const lines: string[] = [];
  i += 1;
  while (tokens[i]!.type === 'list_item_open') {
    const [parts, next] = children(tokens, i);
    const line = parts.join('\n');
    lines.push(ordered ? `${number++}. ${line}` : line);
    i = next;
  }
  return [lines.join('\n'), i + 1];
}

/** Any other container (block quote, …): its blocks separated by a blank line. */
function container(tokens: readonly Token[], i: number): [string, number] {
  const [parts, next] = children(tokens, i);
  return [parts.join(BLOCK_SEPARATOR), next];
}

/** The non-blank blocks inside the container opened at tokens[i], and the index after its close. */
function children(tokens: readonly Token[], i: number): [string[], number] {
  const level = tokens[i]!.level;
  const parts: string[] = [];
  i += 1;
  while (i < tokens.length && !(tokens[i]!.nesting === -1 && tokens[i]!.level === level)) {
    const [text, next] = block(tokens, i);
    if (text.trim() !== '') parts.push(text);
    i = next;
  }
  return [parts, i + 1];
}

/** The inline tokens with readable text (as inlineText reads them), and that text. */
const WORDS_OF: ReadonlyMap<string, (token: Token) => string> = new Map([
  ['text', (token: Token) => token.content], ['code_inline', (token: Token) => token.content], ['image', (token: Token) => inlineText(token)],
]);

/** Whether tokens[from..to) have words, and every one of them inside a link to `#…`. */
function isContents(tokens: readonly Token[], from: number, to: number): boolean {
  let sums = wordCounts.get(tokens);
  if (sums === undefined) wordCounts.set(tokens, sums = countWords(tokens));
  return sums.linked[to]! > sums.linked[from]! && sums.unlinked[to] === sums.unlinked[from];
}

/**
 * For each k, how many of tokens[0..k) have words inside links to `#…` only, and how many have words
 * outside them: counted once per document, so a list nested in lists (up to MAX_NESTING deep) costs
 * each level no new pass over its items.
 */
const wordCounts = new WeakMap<readonly Token[], { readonly linked: Int32Array; readonly unlinked: Int32Array }>();

function countWords(tokens: readonly Token[]): { readonly linked: Int32Array; readonly unlinked: Int32Array } {
  const linked = new Int32Array(tokens.length + 1);
  const unlinked = new Int32Array(tokens.length + 1);
  tokens.forEach((token, k) => {
    const words = wordsOf(token);
    linked[k + 1] = linked[k]! + (words === 'linked' ? 1 : 0);
    unlinked[k + 1] = unlinked[k]! + (words === 'unlinked' ? 1 : 0);
  });
  return { linked, unlinked };
}

/** Whether a block token's readable text has words outside links to `#…`, only inside them, or none. */
function wordsOf(token: Token): 'unlinked' | 'linked' | 'none' {
  if (token.type === 'fence' || token.type === 'code_block') return WORD_CHARACTER.test(token.content) ? 'unlinked' : 'none';
  if (token.type !== 'inline') return 'none';
  // No link without a bracket or an angle bracket in its source: most paragraphs, read at once.
  if (!token.content.includes('[') && !token.content.includes('<')) return WORD_CHARACTER.test(token.content) ? 'unlinked' : 'none';
  let linked = false;
  const links: boolean[] = [];
  for (const child of token.children ?? []) {
    if (child.type === 'link_open') links.push(String(child.attrGet('href') ?? '').startsWith('#'));
    else if (child.type === 'link_close') links.pop();
    else if (WORDS_OF.get(child.type)?.(child).match(WORD_CHARACTER)) {
      if (links.at(-1) !== true) return 'unlinked';
      linked = true;
    }
  }
  return linked ? 'linked' : 'none';
}

/** Readable text of an inline token: line breaks kept as newlines, raw HTML dropped. */
function inlineText(token: Token): string {
  let text = '';
  for (const child of token.children ?? []) {
    switch (child.type) {
      case 'text':
      case 'code_inline':
        text += child.content;
        break;
      case 'softbreak':
      case 'hardbreak':
        text += '\n';
        break;
      case 'image':
        text += inlineText(child);
        break;
      default:
        // Link and emphasis open/close, html_inline: no text of their own.
        break;
    }
  }
  return text;
}
