/**
 * Words broken across lines at a hyphen ("improv-" / "ing state of the art"), as typeset PDFs
 * justify their text: lexical search would see "improv" and "ing", and "improving" would not
 * match. Found from each "-\n" outward, so a document costs a pass or two over its characters
 * however its words are set (a pattern tried at every letter cost 35 ms a MB, and without its
 * word-start anchor was quadratic on a hostile one-word line).
 */

/** The rest of a break: the second line's lower-case letters, the token they start, one space. */
const TAIL = /(\p{Ll}+)(\S*)( ?)/uy;
const LOWER_LETTER = /\p{Ll}/u;
const LETTER = /\p{L}/u;

/** One word broken at a line's end: `text.slice(start, end)` is `head-\ntail rest space`. */
interface Break {
  readonly start: number;
  readonly end: number;
  readonly head: string;
  readonly tail: string;
  readonly rest: string;
  readonly space: string;
}

/**
 * The sections' text with each word broken across lines at a hyphen made whole on the first line
 * (the rest of the second line's token with it, "cy-" / "cles/byte)."). Whether the hyphen stays
 * is read from the document itself: it goes where the document writes the joined word elsewhere
 * and not the two parts with a hyphen ("improving"), and stays in the opposite case
 * ("non-overlapping") and where the word is the last part of a compound ("word-by-" / "word"). A
 * break with no such evidence follows the document's other breaks: TeX hyphenates justified text,
 * so most of its breaks join, where a ragged-right manual breaks lines only at real hyphens
 * ("single-" / "stage"); with no evidence at all the hyphen stays. Only a lower-case letter on
 * either side counts, so "February-" / "March" and code ending in "-" before a capital stay apart.
 * (HTML and Markdown reflow their text; only PDF text comes set in lines.)
 */
export function joinBrokenWords(texts: readonly string[]): string[] {
  const breaks = texts.map(breaksIn);
  if (breaks.every((found) => found.length === 0)) return [...texts];
  const joined = new Set<string>();
  const pairs = new Set<string>();
  for (const found of breaks) {
    for (const { head, tail } of found) {
      joined.add(`${head}${tail}`.toLowerCase());
      pairs.add(`${head}-${tail}`.toLowerCase());
    }
  }
  const written = writtenElsewhere(texts, joined, pairs);
  /** true: keep the hyphen; false: join; null: no evidence either way. */
  const evidence = (text: string, { start, head, tail }: Break): boolean | null => {
    const hyphenated = text[start - 1] === '-' || written.has(`${head}-${tail}`.toLowerCase());
    return hyphenated === written.has(`${head}${tail}`.toLowerCase()) ? null : hyphenated;
  };
  let balance = 0;
  texts.forEach((text, i) => {
    for (const found of breaks[i]!) balance += { true: 1, false: -1, null: 0 }[`${evidence(text, found)}`]!;
  });
  const keepByDefault = balance >= 0;
  return texts.map((text, i) => {
    let out = '';
    let from = 0;
    for (const found of breaks[i]!) {
      const keep = evidence(text, found) ?? keepByDefault;
      // The line break moves after the word, unless the word was all its line held.
      const lineEnds = found.space === '' && (found.end === text.length || text[found.end] === '\n');
      out += text.slice(from, found.start) + found.head + (keep ? '-' : '') + found.tail + found.rest + (lineEnds ? '' : '\n');
      from = found.end;
    }
    return out + text.slice(from);
  });
}

/** Each word broken at a line's end in `text`, in order, none overlapping. */
function breaksIn(text: string): Break[] {
  const found: Break[] = [];
  let from = 0;
  for (let at = text.indexOf('-\n'); at !== -1; at = text.indexOf('-\n', at + 2)) {
    let start = at;
    while (start > from && isLowerLetter(text, start - 1)) start--;
    if (at - start < 2 || (start > 0 && LETTER.test(text[start - 1]!))) continue;
    TAIL.lastIndex = at + 2;
    const tail = TAIL.exec(text);
    if (tail === null) continue;
    found.push({ start, end: TAIL.lastIndex, head: text.slice(start, at), tail: tail[1]!, rest: tail[2]!, space: tail[3]! });
    from = TAIL.lastIndex;
    at = from - 2;
  }
  return found;
}

/**
 * Which of the `joined` words and hyphenated `pairs` (lower case) the texts write within a line:
 * one pass over their words, a pair counted where two words are joined by a hyphen.
 */
function writtenElsewhere(texts: readonly string[], joined: ReadonlySet<string>, pairs: ReadonlySet<string>): Set<string> {
  const written = new Set<string>();
  for (const text of texts) {
    const lower = text.toLowerCase();
    let previous = '';
    let previousEnd = -2;
    for (let i = 0; i < lower.length; ) {
      if (!isLetter(lower, i)) {
        i++;
        continue;
      }
      let end = i + 1;
      while (end < lower.length && isLetter(lower, end)) end++;
      const word = lower.slice(i, end);
      if (joined.has(word)) written.add(word);
      if (previousEnd === i - 1 && lower[i - 1] === '-' && pairs.has(`${previous}-${word}`)) written.add(`${previous}-${word}`);
      previous = word;
      previousEnd = end;
      i = end;
    }
  }
  return written;
}

function isLetter(text: string, i: number): boolean {
  const code = text.charCodeAt(i);
  return (code >= 97 && code <= 122) || (code >= 65 && code <= 90) || (code > 127 && LETTER.test(text[i]!));
}

function isLowerLetter(text: string, i: number): boolean {
  const code = text.charCodeAt(i);
  return (code >= 97 && code <= 122) || (code > 127 && LOWER_LETTER.test(text[i]!));
}
