/**
 * Caps the brackets of Markdown before the parser sees them (issue 13). A `]` makes a CommonMark
 * parser look back for its `[`, so a block with thousands of brackets (`[a]` × n, `[a]: <` × n,
 * `[` × n … `]` × n) was quadratic in micromark; markdown-it (the parser now, parsers/markdown.ts)
 * is linear on them but slow per bracket, so the cap stays as a second line of defence that
 * costs nothing on real documents. A block (text between blank lines) with more than
 * MAX_BRACKETS_PER_BLOCK has all its brackets escaped (`\[`, `\]`): they read as literal
 * brackets, which is what they were. Nesting depth is capped where it matters, in the parser
 * (parsers/markdown.ts, tied to markdown-it's maxNesting).
 *
 * Fenced code blocks pass unchanged. What remains super-linear is cut off by the parse budget
 * (PARSE_TIMEOUT_MS, PARSE_MAX_MEMORY_MB) in the worker.
 */

/** Brackets one block may hold and still have them parsed as link syntax. */
export const MAX_BRACKETS_PER_BLOCK = 256;

const FENCE = /^ {0,3}(`{3,}|~{3,})/;
const BLANK = /^[ \t]*$/;
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
      brackets += countBrackets(line);
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
