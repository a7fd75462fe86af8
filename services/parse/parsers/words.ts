/**
 * Letters and digits: what makes text words rather than marks. Shared by the parsers that tell
 * words from punctuation (a table of contents' links, a permalink's mark, a PDF heading's title),
 * and how they collapse a title's white space.
 */

/** Matches a letter or digit in any script. */
export const WORD_CHARACTER = /[\p{L}\p{N}]/u;

/** How many letters and digits `text` holds. */
export function wordCharacterCount(text: string): number {
  return text.replace(/[^\p{L}\p{N}]/gu, '').length;
}

/** `text` with each run of white space one space, and none at either end. */
export function collapseWhiteSpace(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** `text`'s letters and digits alone, lower-cased, compatibility forms folded first (a "ﬁ" ligature is "fi"). */
export function lettersAndDigits(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '');
}
