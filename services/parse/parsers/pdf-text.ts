import type { getDocumentProxy } from 'unpdf';
import { MAX_TITLE_CHARACTERS } from '../../../schema/domain.ts';
import { wordCharacterCount } from './words.ts';

/** An open PDF, as unpdf's pdf.js gives it. */
export type PDFDocumentProxy = Awaited<ReturnType<typeof getDocumentProxy>>;

/** Text on the first page set this much larger than most of its text reads as the title. */
const TITLE_SCALE = 1.25;

/** One line of a page: its text, and the height of its baseline (PDF units, from the bottom) when it has text. */
export interface PdfLine {
  readonly text: string;
  readonly baseline: number | null;
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
      }));
    pages.push(linesOf(runs));
    for (const run of runs) sizes.set(run.size, (sizes.get(run.size) ?? 0) + wordCharacterCount(run.text));
    if (number === 1) cover = runs;
    page.cleanup();
  }
  return { pages, coverTitle: largestText(cover, sizes) };
}

/** A text item: its string, whether it ends a line, its baseline's height, and its size in points (to the half point). */
interface TextRun {
  readonly text: string;
  readonly endsLine: boolean;
  readonly baseline: number;
  readonly size: number;
}

/** Runs → lines, each at the baseline of its first run with text. */
function linesOf(runs: readonly TextRun[]): PdfLine[] {
  const lines: PdfLine[] = [];
  let text = '';
  let baseline: number | null = null;
  for (const run of runs) {
    text += run.text;
    if (baseline === null && run.text.trim() !== '') baseline = run.baseline;
    if (!run.endsLine) continue;
    lines.push({ text, baseline });
    text = '';
    baseline = null;
  }
  lines.push({ text, baseline });
  return lines;
}

/** The cover's runs in its largest size, joined, when that size stands out from the body's. */
function largestText(cover: readonly TextRun[], sizes: ReadonlyMap<number, number>): string | null {
  const shown = cover.filter((run) => wordCharacterCount(run.text) > 0);
  if (shown.length === 0) return null;
  const body = [...sizes].reduce((a, b) => (b[1] > a[1] ? b : a))[0];
  // A loop, not Math.max(...): a first page can hold more runs than a call takes arguments.
  const largest = shown.reduce((max, run) => Math.max(max, run.size), 0);
  if (largest < body * TITLE_SCALE) return null;
  const title = shown.filter((run) => run.size === largest).map((run) => run.text).join(' ').replace(/\s+/g, ' ').trim();
  return title.length <= MAX_TITLE_CHARACTERS ? title : null;
}
