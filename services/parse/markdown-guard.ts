/**
 * Caps the shapes of Markdown that make CommonMark parsers super-linear, before the parser sees
 * them (issue 13). Measured with micromark, which was quadratic on each; markdown-it (the parser
 * now, parsers/markdown.ts) is linear on them but slow per bracket, so the caps stay as a second
 * line of defence that costs nothing on real documents. Each cap changes only text no person writes:
 *
 * - brackets: a `]` makes the parser look back for its `[`, so a block with thousands of brackets
 *   (`[a]` × n, `[a]: <` × n, `[` × n … `]` × n) could parse in quadratic time. A block (text between blank lines) with more than MAX_BRACKETS_PER_BLOCK has
 *   all its brackets escaped (`\[`, `\]`): they read as literal brackets, which is what they were.
 * - nesting: each line is checked against every open container, so a list or quote nested
 *   hundreds deep costs depth × lines. Leading indentation is cut to MAX_INDENT columns and
 *   container markers on one line (`> > >`, `- - -`) to MAX_CONTAINER_MARKERS.
 *
 * Fenced code blocks pass unchanged. What remains super-linear is cut off by the parse budget
 * (PARSE_TIMEOUT_MS, PARSE_MAX_MEMORY_MB) in the worker.
 */

/** Brackets one block may hold and still have them parsed as link syntax. */
export const MAX_BRACKETS_PER_BLOCK = 256;
/** Columns of leading indentation kept (16 list levels of 4; tabs count 4). */
export const MAX_INDENT = 64;
/** Block-quote and list markers kept at the start of one line. */
export const MAX_CONTAINER_MARKERS = 16;

const FENCE = /^ {0,3}(`{3,}|~{3,})/;
const BLANK = /^[ \t]*$/;
const INDENT = /^[ \t]+/;
/** One container marker with the whitespace before it: `>`, a bullet or an ordered-list number. */
const CONTAINER_MARKER = /^[ \t]*(?:>|[-*+](?=[ \t])|\d{1,9}[.)](?=[ \t]))/;
/** A bracket with the backslashes before it (an odd count means it is escaped already). */
const BRACKET = /(\\*)([[\]])/g;

/** `markdown` with the caps above applied; unchanged when no cap is reached. */
export function guardMarkdown(markdown: string): string {
  const lines = markdown.split('\n');
  let fence: string | null = null;
  let blockStart = 0;
  let brackets = 0;
  const endBlock = (end: number) => {
    if (brackets > MAX_BRACKETS_PER_BLOCK) {
      for (let i = blockStart; i < end; i++) lines[i] = escapeBrackets(lines[i]!);
    }
    brackets = 0;
    blockStart = end + 1;
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const opening = FENCE.exec(line)?.[1];
    if (fence !== null) {
      // A closing fence is at least as long as the opening one, of the same character.
      if (opening !== undefined && opening[0] === fence[0] && opening.length >= fence.length) fence = null;
      blockStart = i + 1;
    } else if (opening !== undefined) {
      endBlock(i);
      fence = opening;
    } else if (BLANK.test(line)) {
      endBlock(i);
    } else {
      lines[i] = capNesting(line);
      brackets += countBrackets(lines[i]!);
    }
  }
  endBlock(lines.length);
  return lines.join('\n');
}

/** Unescaped brackets in `line`. */
function countBrackets(line: string): number {
  let count = 0;
  for (const match of line.matchAll(BRACKET)) if (match[1]!.length % 2 === 0) count++;
  return count;
}

/**
 * Every unescaped bracket escaped: in a block past the cap none is link syntax, since one `]`
 * left as syntax would still look back through the whole block.
 */
function escapeBrackets(line: string): string {
  return line.replace(BRACKET, (match, backslashes: string, bracket: string) =>
    backslashes.length % 2 === 1 ? match : `${backslashes}\\${bracket}`);
}

function capNesting(line: string): string {
  const indent = INDENT.exec(line)?.[0];
  if (indent !== undefined && columns(indent) > MAX_INDENT) {
    line = ' '.repeat(MAX_INDENT) + line.slice(indent.length);
  }
  let rest = line;
  let kept = '';
  for (let markers = 0; ; markers++) {
    const marker = CONTAINER_MARKER.exec(rest)?.[0];
    if (marker === undefined) return line;
    if (markers === MAX_CONTAINER_MARKERS) {
      // Drop every further marker, keep the content after them.
      while (CONTAINER_MARKER.test(rest)) rest = rest.slice(CONTAINER_MARKER.exec(rest)![0].length);
      return kept + rest;
    }
    kept += marker;
    rest = rest.slice(marker.length);
  }
}

function columns(whitespace: string): number {
  let width = 0;
  for (const char of whitespace) width += char === '\t' ? 4 - (width % 4) : 1;
  return width;
}
