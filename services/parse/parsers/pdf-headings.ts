import type { Section } from '../parsed-document.ts';
import type { PdfLine } from './pdf-text.ts';
import { collapseWhiteSpace } from './words.ts';

/** Text set at least this much larger than the body's may be a heading (LaTeX's subsections are 1.2×, Word's Heading 2 1.18×). */
const HEADING_SCALE = 1.1;

/**
 * A size holding more than this share of the document's letters and digits is text, not headings:
 * a slide's bullets, a poster's lines.
 */
const HEADING_SHARE = 0.2;

/** A longer run of large lines is text set large (a pull quote, a poster), not a heading. */
const MAX_HEADING_CHARACTERS = 200;

/** Headings nested deeper than this stay in the text; an outline is held to the same depth. */
const MAX_HEADING_DEPTH = 16;

/**
 * The sizes a PDF sets its headings in, for one without an outline: those at least HEADING_SCALE
 * times the body's and rare enough (HEADING_SHARE). `sizes` counts the letters and digits set in
 * each size.
 */
export function headingSizes(sizes: ReadonlyMap<number, number>, body: number | null): ReadonlySet<number> {
  if (body === null) return new Set();
  let total = 0;
  for (const characters of sizes.values()) total += characters;
  return new Set([...sizes].filter(([size, characters]) => size >= body * HEADING_SCALE && characters <= total * HEADING_SHARE).map(([size]) => size));
}

/**
 * A PDF's lines → sections by the size of their type, for a PDF without an outline (most made by
 * TeX without hyperref, or by DocBook): a run of lines set in one heading size is one heading (a
 * title set over two lines), under the headings before it set larger, as HTML's h1–h6. Lines
 * without a letter (a figure's large numbers) and runs past MAX_HEADING_CHARACTERS stay text.
 */
export function sectionsBySize(lines: readonly PdfLine[], sizes: ReadonlySet<number>): Section[] {
  const sections: Section[] = [];
  const path: { readonly size: number; readonly title: string }[] = [];
  let text: string[] = [];
  const flush = () => {
    const joined = text.join('\n').trim();
    if (joined !== '') sections.push({ headings: path.map((heading) => heading.title), text: joined });
    text = [];
  };
  for (let start = 0; start < lines.length; ) {
    const { size } = lines[start]!;
    let end = start + 1;
    if (size !== null && sizes.has(size)) while (end < lines.length && lines[end]!.size === size) end++;
    const run = lines.slice(start, end).map((line) => line.text);
    start = end;
    const title = size !== null && sizes.has(size) ? collapseWhiteSpace(run.join(' ')) : '';
    if (size === null || !/\p{L}/u.test(title) || title.length > MAX_HEADING_CHARACTERS) {
      // A loop, not push(...run): a run can hold more lines than a call takes arguments.
      for (const line of run) text.push(line);
      continue;
    }
    // The headings it stays under: those set larger.
    let under = path.length;
    while (under > 0 && path[under - 1]!.size <= size) under--;
    if (under >= MAX_HEADING_DEPTH) {
      for (const line of run) text.push(line);
      continue;
    }
    flush();
    path.length = under;
    path.push({ size, title });
  }
  flush();
  return sections;
}
