import type { getDocumentProxy } from 'unpdf';
import { MAX_TITLE_CHARACTERS } from '../../../schema/domain.ts';
import { collapseWhiteSpace, wordCharacterCount } from './words.ts';

/** An open PDF, as unpdf's pdf.js gives it. */
export type PDFDocumentProxy = Awaited<ReturnType<typeof getDocumentProxy>>;

/** Text on the first page set this much larger than most of its text reads as the title. */
const TITLE_SCALE = 1.25;

/**
 * One line of a page: its text, the height of its baseline (PDF units, from the bottom) when it
 * has text, and the size most of its letters and digits are set in (null without any).
 */
export interface PdfLine {
  readonly text: string;
  readonly baseline: number | null;
  readonly size: number | null;
}

/** The text of each page, and the title the first page shows, if any. */
export interface PdfText {
  /** Each page's lines: pdf.js's text items in order, a line ending where pdf.js ends one (as unpdf's extractText). */
  readonly pages: PdfLine[][];
  /**
   * The first page's largest text, when it is set at least TITLE_SCALE times larger than most of
   * the document's text and within MAX_TITLE_CHARACTERS: the cover's or the paper's title, for a
   * PDF whose information dictionary names none (most made by TeX or a word processor's export).
   */
  readonly coverTitle: string | null;
  /** The size most of the document's letters and digits are set in: its body text (null without text). */
  readonly bodySize: number | null;
  /** How many letters and digits the document sets in each size: which sizes are rare enough to be headings. */
  readonly sizes: ReadonlyMap<number, number>;
}

export async function readPdfText(pdf: PDFDocumentProxy, signal?: AbortSignal): Promise<PdfText> {
  const pages: PdfLine[][] = [];
  let cover: readonly TextRun[] = [];
  // Letters and digits set in each size over the whole document: the most used is its body text.
  const sizes = new Map<number, number>();
  for (let number = 1; number <= pdf.numPages; number++) {
    signal?.throwIfAborted();
    const page = await pdf.getPage(number);
    const runs: TextRun[] = (await page.getTextContent()).items
      .filter((item) => 'str' in item)
      .map((item) => ({
        // A line break inside an item would shift the lines from their baselines.
        text: item.str.replace(/\r\n?|\n/g, ' '), endsLine: item.hasEOL, baseline: item.transform[5] as number,
        size: Math.round(Math.hypot(item.transform[2], item.transform[3]) * 2) / 2,
        characters: wordCharacterCount(item.str),
      }));
    pages.push(linesOf(runs));
    for (const run of runs) sizes.set(run.size, (sizes.get(run.size) ?? 0) + run.characters);
    if (number === 1) cover = runs;
    page.cleanup();
  }
  const body = mostUsed(sizes);
  return { pages, coverTitle: body === null ? null : largestText(cover, body), bodySize: body, sizes };
}

/** A text item: its string, whether it ends a line, its baseline's height, its size in points (to the half point), its letters and digits. */
interface TextRun {
  readonly text: string;
  readonly endsLine: boolean;
  readonly baseline: number;
  readonly size: number;
  readonly characters: number;
}

/** Runs → lines, each at the baseline of its first run with text, in the size most of its letters and digits have. */
function linesOf(runs: readonly TextRun[]): PdfLine[] {
  const lines: PdfLine[] = [];
  let text = '';
  let baseline: number | null = null;
  let sizes = new Map<number, number>();
  const end = () => {
    lines.push({ text, baseline, size: mostUsed(sizes) });
    text = '';
    baseline = null;
    sizes = new Map();
  };
  for (const run of runs) {
    text += run.text;
    if (baseline === null && run.text.trim() !== '') baseline = run.baseline;
    if (run.characters > 0) sizes.set(run.size, (sizes.get(run.size) ?? 0) + run.characters);
    if (run.endsLine) end();
  }
  end();
  return lines;
}

/** The size with the most letters and digits, or null when there are none. */
function mostUsed(sizes: ReadonlyMap<number, number>): number | null {
  let best: number | null = null;
  let count = 0;
  for (const [size, characters] of sizes) {
    if (characters > count) [best, count] = [size, characters];
  }
  return best;
}

/** The cover's runs in its largest size, joined, when that size stands out from the body's. */
function largestText(cover: readonly TextRun[], body: number): string | null {
  const shown = cover.filter((run) => run.characters > 0);
  if (shown.length === 0) return null;
  // A loop, not Math.max(...): a first page can hold more runs than a call takes arguments.
  const largest = shown.reduce((max, run) => Math.max(max, run.size), 0);
  if (largest < body * TITLE_SCALE) return null;
  const title = collapseWhiteSpace(shown.filter((run) => run.size === largest).map((run) => run.text).join(' '));
  return title.length <= MAX_TITLE_CHARACTERS ? title : null;
}
