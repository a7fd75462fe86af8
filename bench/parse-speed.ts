/**
 * The parsers' own speed, in the bench process before any other process starts: MB of input per
 * CPU second of this (single-threaded) process, i.e. per core, and per second of wall time (which
 * other load on a shared machine slows). Each corpus is parsed once to warm up, then timed.
 * PDFs are made from the Markdown pages' lines (one-page PDFs of 45 lines, the first 200), since
 * the package has none.
 * The hostile Markdown inputs of the parse-stage issue are timed at 1 MB each.
 */
import { parseHtml } from '../services/parse/parsers/html.ts';
import { parseMarkdown } from '../services/parse/parsers/markdown.ts';
import { parsePdf } from '../services/parse/parsers/pdf.ts';
import { makePdf } from '../test/fixtures/make-pdf.ts';
import { ownCpuSeconds } from './cpu.ts';
import type { Corpus } from './corpus.ts';

/** One parser over one corpus. */
export interface ParseSpeed {
  readonly documents: number;
  readonly megabytes: number;
  readonly cpuSeconds: number;
  readonly wallSeconds: number;
  /** MB of input per CPU second: the speed of one core. */
  readonly mbPerCpuSecond: number;
  readonly mbPerSecond: number;
  readonly sections: number;
}

/** What the parse measurements found. */
export interface ParseSpeedResult {
  readonly html: ParseSpeed;
  readonly markdown: ParseSpeed;
  /** MB are of PDF bytes; `textMegabytes` of the text extracted. */
  readonly pdf: ParseSpeed & { readonly textMegabytes: number; readonly textMbPerCpuSecond: number };
  /** CPU ms to parse each hostile input of 1 MB. */
  readonly hostileMarkdownCpuMs: Record<string, number>;
}

/** The targets, per core. */
export const PARSE_TARGETS_MB_PER_CPU_SECOND = { html: 5, markdown: 10 } as const;

const HOSTILE_BYTES = 1_000_000;
/** makePdf draws one page: 45 lines of 16 pt fit on it, more would be clipped. */
const PDF_LINES = 45;
const PDFS = 200;
const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;

export async function measureParseSpeed(htmlPages: Corpus, markdownPages: Corpus): Promise<ParseSpeedResult> {
  const html = await timed(htmlPages.documents.map((doc) => doc.text), (text) => parseHtml(text).sections.length);
  const markdown = await timed(markdownPages.documents.map((doc) => doc.text), (text) => parseMarkdown(text).sections.length);
  const lines = markdownPages.documents.flatMap((doc) => doc.text.split('\n').map(latin1));
  const pdfs = Array.from({ length: Math.min(PDFS, Math.ceil(lines.length / PDF_LINES)) }, (_, i) =>
    makePdf(lines.slice(i * PDF_LINES, (i + 1) * PDF_LINES)));
  let textBytes = 0;
  const pdf = await timed(pdfs, async (bytes) => {
    const parsed = await parsePdf(bytes);
    textBytes += parsed.sections.reduce((sum, section) => sum + Buffer.byteLength(section.text), 0);
    return parsed.sections.length;
  });
  const hostile = {
    "'[' × n + 'a' + ']' × n": `${'['.repeat(HOSTILE_BYTES / 2)}a${']'.repeat(HOSTILE_BYTES / 2)}`,
    "'[a]: <' × n": '[a]: <'.repeat(HOSTILE_BYTES / 6),
    'lists nested 1 per line': Array.from({ length: 1000 }, (_, i) => `${'  '.repeat(i)}- item`).join('\n').slice(0, HOSTILE_BYTES),
    "'> ' × n": `${'> '.repeat(HOSTILE_BYTES / 2)}x`,
  };
  const hostileMarkdownCpuMs = Object.fromEntries(Object.entries(hostile).map(([name, text]) => {
    const start = ownCpuSeconds();
    parseMarkdown(text);
    return [name, Math.round((ownCpuSeconds() - start) * 1000)];
  }));
  // The text was counted in the warm-up pass and the timed one.
  const textMegabytes = textBytes / 2 / 1e6;
  return {
    html, markdown, hostileMarkdownCpuMs,
    pdf: { ...pdf, textMegabytes: round(textMegabytes), textMbPerCpuSecond: round(textMegabytes / pdf.cpuSeconds) },
  };
}

/** Parses every input once to warm up, then once timed. */
async function timed<T extends string | Uint8Array>(inputs: readonly T[], parse: (input: T) => number | Promise<number>): Promise<ParseSpeed> {
  for (const input of inputs) await parse(input);
  const bytes = inputs.reduce((sum, input) => sum + (typeof input === 'string' ? Buffer.byteLength(input) : input.byteLength), 0);
  const cpuStart = ownCpuSeconds();
  const wallStart = performance.now();
  let sections = 0;
  for (const input of inputs) sections += await parse(input);
  const cpuSeconds = ownCpuSeconds() - cpuStart;
  const wallSeconds = (performance.now() - wallStart) / 1000;
  return {
    documents: inputs.length,
    megabytes: round(bytes / 1e6),
    cpuSeconds: round(cpuSeconds),
    wallSeconds: round(wallSeconds),
    mbPerCpuSecond: round(bytes / 1e6 / cpuSeconds),
    mbPerSecond: round(bytes / 1e6 / wallSeconds),
    sections,
  };
}

/** makePdf's Helvetica speaks Latin-1: anything else becomes '?'. */
function latin1(line: string): string {
  return line.replace(/[^\x20-\xff]/g, '?');
}
