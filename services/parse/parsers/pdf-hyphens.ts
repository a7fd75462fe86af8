/**
 * A word broken across lines at a hyphen ("improv-" / "ing state of the art"), as typeset PDFs
 * justify their text: lexical search would see "improv" and "ing", and "improving" would not
 * match. The rest of the second line's token ("cy-" / "cles/byte).") goes with it. Both patterns
 * start only where a word does: tried inside a long run of letters, each would read to its end
 * from every letter (quadratic on a hostile PDF's one-word line).
 */
const BROKEN_WORD = /(?<!\p{L})(\p{Ll}{2,})-\n(\p{Ll}+)(\S*)( ?)/gu;

/** A hyphenated word within a line: a compound the document writes with its hyphens. */
const COMPOUND = /(?<!\p{L})\p{L}+(?:-\p{L}+)+/gu;

const WORD = /\p{L}+/gu;

/**
 * The sections' text with each word broken across lines at a hyphen made whole on the first line.
 * Whether the hyphen stays is read from the document itself: it goes where the document writes
 * the joined word elsewhere and not the two parts with a hyphen ("improving"), and stays in the
 * opposite case ("non-overlapping") and where the word is the last part of a compound ("word-by-"
 * / "word"). A break with no such evidence follows the document's other breaks: TeX hyphenates
 * justified text, so most of its breaks join, where a ragged-right manual breaks lines only at
 * real hyphens ("single-" / "stage"); with no evidence at all the hyphen stays. Only a lower-case
 * letter on either side counts, so "February-" / "March" and code ending in "-" before a capital
 * stay apart. (HTML and Markdown reflow their text; only PDF text comes set in lines.)
 */
export function joinBrokenWords(texts: readonly string[]): string[] {
  const words = new Set<string>();
  const compounds = new Set<string>();
  for (const text of texts) {
    for (const [word] of text.matchAll(WORD)) words.add(word.toLowerCase());
    for (const [compound] of text.matchAll(COMPOUND)) {
      const parts = compound.toLowerCase().split('-');
      for (let i = 1; i < parts.length; i++) compounds.add(`${parts[i - 1]}-${parts[i]}`);
    }
  }
  /** true: keep the hyphen; false: join; null: no evidence either way. */
  const evidence = (text: string, at: number, head: string, tail: string): boolean | null => {
    const hyphenated = text[at - 1] === '-' || compounds.has(`${head}-${tail}`.toLowerCase());
    const joined = words.has(`${head}${tail}`.toLowerCase());
    return hyphenated === joined ? null : hyphenated;
  };
  let joins = 0;
  let hyphens = 0;
  for (const text of texts) {
    for (const match of text.matchAll(BROKEN_WORD)) {
      const keep = evidence(text, match.index, match[1]!, match[2]!);
      if (keep === true) hyphens++;
      else if (keep === false) joins++;
    }
  }
  const keepByDefault = hyphens >= joins;
  return texts.map((text) =>
    text.replace(BROKEN_WORD, (whole, head: string, tail: string, rest: string, space: string, at: number) => {
      const keep = evidence(text, at, head, tail) ?? keepByDefault;
      // The line break moves after the word, unless the word was all its line held.
      const lineEnds = space === '' && (at + whole.length === text.length || text[at + whole.length] === '\n');
      return `${head}${keep ? '-' : ''}${tail}${rest}${lineEnds ? '' : '\n'}`;
    }));
}
