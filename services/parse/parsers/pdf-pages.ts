import type { Section } from '../parsed-document.ts';
import { withoutContents } from './pdf-contents.ts';
import { sectionsBySize } from './pdf-headings.ts';
import { joinBrokenWords } from './pdf-hyphens.ts';
import type { OutlineEntry } from './pdf-outline.ts';
import type { PdfLine } from './pdf-text.ts';
import { collapseWhiteSpace, lettersAndDigits } from './words.ts';

/** How far below an entry's top its heading's baseline may sit, in PDF units: a line of large type. */
const HEADING_DROP = 40;

/** Lines at each end of a page that may be a running header or footer. */
const RUNNING_LINES = 2;

/** What a PDF says about its pages beside their text. */
export interface PdfLayout {
  /** Each page's label, the number it prints ("iv", "12"), when the PDF names them. */
  readonly labels?: readonly string[] | null;
  /** The sizes its headings are set in, read when it has no outline (pdf-headings.ts). */
  readonly headingSizes?: ReadonlySet<number>;
}

/**
 * A PDF's pages → sections: running headers, footers and page numbers dropped, and printed tables
 * of contents (pdf-contents.ts), the text flowing from page to page (a paragraph cut by a page
 * break stays one), a new section wherever an outline entry starts, under that entry's path of
 * titles. Without an outline, sections start at lines set in a heading size, else the whole text
 * is one section with no heading. A word broken across lines by a hyphen is made whole
 * (pdf-hyphens.ts).
 */
export function pdfSections(pages: readonly (readonly PdfLine[])[], outline: readonly OutlineEntry[], layout: PdfLayout = {}): Section[] {
  const lines = withoutContents(withoutRunningLines(pages, layout.labels ?? null));
  const sections = outline.length === 0 ? sectionsBySize(lines.flat(), layout.headingSizes ?? new Set()) : outlineSections(lines, outline);
  const texts = joinBrokenWords(sections.map((section) => section.text));
  return sections.map((section, i) => ({ ...section, text: texts[i]! }));
}

/**
 * The lines cut where each outline entry starts: at the first line of its page, after where the
 * entry before it started, that is its title (book headings carry a number the outline may leave
 * out: "3.3 Invoking asn1Decoding"), and that line is left out of the text; where none is, at the
 * first line whose baseline lies just below the top its destination shows from (within
 * HEADING_DROP); else at the start of the page (or where the one before it started).
 */
function outlineSections(lines: readonly (readonly PdfLine[])[], outline: readonly OutlineEntry[]): Section[] {
  const starts = [...outline].sort((a, b) => a.page - b.page);
  const sections: Section[] = [];
  let headings: readonly string[] = [];
  let text: string[] = [];
  const flush = (next: readonly string[]) => {
    const joined = text.join('\n').trim();
    if (joined !== '') sections.push({ headings, text: joined });
    headings = next;
    text = [];
  };
  let entry = 0;
  lines.forEach((page, index) => {
    let from = 0;
    const titles = starts[entry]?.page === index ? titleLines(page) : null;
    for (; entry < starts.length && starts[entry]!.page === index; entry++) {
      const { headings: path, top } = starts[entry]!;
      const at = firstFrom(titles!.get(lettersAndDigits(path[path.length - 1]!)), from);
      const start = at !== -1 ? at : lineBelow(page, from, top);
      // Loops, not push(...): a hostile page can hold more lines than a call takes arguments.
      for (let i = from; i < start; i++) text.push(page[i]!.text);
      flush(path);
      // The heading's own line is in its path now, as an HTML or Markdown heading is.
      from = at !== -1 ? at + 1 : start;
    }
    for (let i = from; i < page.length; i++) text.push(page[i]!.text);
  });
  flush([]);
  return sections;
}

/**
 * The lines of a page that could be a heading, by the title they would be: each line's letters
 * and digits, and those after a section number ("3.3", "A.1", "Chapter IV."), case, spaces and
 * punctuation aside (the outline's "2.13. Nonregular files" is the page's "2.13. Non-regular
 * files"); each title's lines in order. Built once per page, so a page with thousands of entries
 * (an outline is a client's input) is not read again for each.
 */
function titleLines(page: readonly PdfLine[]): Map<string, number[]> {
  const titles = new Map<string, number[]>();
  page.forEach((line, i) => {
    const words = collapseWhiteSpace(line.text).toLowerCase();
    for (const title of new Set([lettersAndDigits(words), lettersAndDigits(words.replace(SECTION_NUMBER, ''))])) {
      if (title === '') continue;
      const at = titles.get(title);
      if (at === undefined) titles.set(title, [i]);
      else at.push(i);
    }
  });
  return titles;
}

/**
 * The first line from `from` on whose baseline lies within HEADING_DROP below `top` (where the
 * entry's view begins), or `from` when the entry names no top or no line lies there. In reading
 * order: on a page of two columns that can be a line of the other column.
 */
function lineBelow(page: readonly PdfLine[], from: number, top: number | null): number {
  if (top === null) return from;
  for (let i = from; i < page.length; i++) {
    const { baseline } = page[i]!;
    if (baseline !== null && baseline <= top && baseline >= top - HEADING_DROP) return i;
  }
  return from;
}

/** The first of the ascending `lines` at or after `from`, or -1. */
function firstFrom(lines: readonly number[] | undefined, from: number): number {
  if (lines === undefined) return -1;
  let low = 0;
  let high = lines.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (lines[middle]! < from) low = middle + 1;
    else high = middle;
  }
  return low < lines.length ? lines[low]! : -1;
}

/** A heading's number before its title: "3 ", "3.3.1 ", "A.2 ", "IV. ", "Chapter 3: ". */
const SECTION_NUMBER = /^(?:(?:chapter|section|appendix|part)\s+)?(?:\d+|[a-z]|[ivxlc]+)(?:\.\d+)*[.:]?\s+/;

/**
 * Each page's lines without its running header and footer: a line among the first or last
 * RUNNING_LINES of a page that is the line in the same place on the page before or after, or is
 * it but for one number that grows with the page ("Chapter 3: Utilities 6" then "… 7", "Page 2 of
 * 9"), or that is the page's number alone ("7", "- iv -", "Page 7": its label, else its place in
 * the file, or that number in roman numerals), as a chapter's first page shows it where the pages
 * around it show a running header. A record's own number is kept ("Invoice 1001" above "Invoice
 * 1017"), unless it too grows by one a page. Lines of punctuation alone (a brace closing code on
 * two pages) are kept.
 */
function withoutRunningLines(pages: readonly (readonly PdfLine[])[], labels: readonly string[] | null): PdfLine[][] {
  const trimmed = pages.map((page) => trimBlankEnds(page));
  return trimmed.map((page, index) => {
    const numbers = pageNumbers(labels?.[index] ?? String(index + 1));
    const running = (position: (lines: readonly PdfLine[]) => PdfLine | undefined) => {
      const line = position(page);
      if (line === undefined) return false;
      if (numbers.has(pageNumberOf(line.text))) return true;
      if (!/[\p{L}\p{N}]/u.test(line.text)) return false;
      return [-1, 1].some((step) => {
        const there = trimmed[index + step] && position(trimmed[index + step]!);
        return there !== undefined && sameRunningLine(line.text, there.text, step);
      });
    };
    const drop = new Set<number>();
    for (let k = 0; k < Math.min(RUNNING_LINES, page.length); k++) {
      if (running((lines) => lines[k])) drop.add(k);
      if (running((lines) => lines[lines.length - 1 - k])) drop.add(page.length - 1 - k);
    }
    return page.filter((_, i) => !drop.has(i));
  });
}

/**
 * Whether `line` and the line `there`, `step` pages on, are one running line: the same, white
 * space aside, or the same but for one run of digits that is `step` more there (the page number).
 */
function sameRunningLine(line: string, there: string, step: number): boolean {
  const ours = collapseWhiteSpace(line).split(/(\d+)/);
  const theirs = collapseWhiteSpace(there).split(/(\d+)/);
  if (ours.length !== theirs.length) return false;
  let numbers = 0;
  for (let i = 0; i < ours.length; i++) {
    if (ours[i] === theirs[i]) continue;
    // split() with a capturing group puts the digit runs at odd places.
    if (i % 2 === 0 || Number(theirs[i]) - Number(ours[i]) !== step || ++numbers > 1) return false;
  }
  return true;
}

function trimBlankEnds(lines: readonly PdfLine[]): PdfLine[] {
  let start = 0;
  let end = lines.length;
  while (start < end && lines[start]!.text.trim() === '') start++;
  while (end > start && lines[end - 1]!.text.trim() === '') end--;
  return lines.slice(start, end);
}

/** The ways a page with this label prints its number: the label, and a number's roman numerals (front matter). */
function pageNumbers(label: string): ReadonlySet<string> {
  const numbers = new Set<string>();
  if (label.trim() !== '') numbers.add(label.trim().toLowerCase());
  if (/^\d{1,4}$/.test(label) && Number(label) > 0) numbers.add(romanNumerals(Number(label)));
  return numbers;
}

const ROMAN: readonly (readonly [number, string])[] = [
  [1000, 'm'], [900, 'cm'], [500, 'd'], [400, 'cd'], [100, 'c'], [90, 'xc'],
  [50, 'l'], [40, 'xl'], [10, 'x'], [9, 'ix'], [5, 'v'], [4, 'iv'], [1, 'i'],
];

/** `n` (1–9999) in lower-case roman numerals. */
function romanNumerals(n: number): string {
  let numerals = '';
  for (const [value, letters] of ROMAN) {
    for (; n >= value; n -= value) numerals += letters;
  }
  return numerals;
}

/** What a line would be as a page number alone: dashes, white space and a "Page" before it aside, lower case. */
function pageNumberOf(line: string): string {
  return line.replace(/^[\s\-\u2013\u2014]*(?:page\s+)?|[\s\-\u2013\u2014]*$/gi, '').toLowerCase();
}
