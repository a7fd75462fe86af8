import { getDocumentProxy } from 'unpdf';
import { PermanentError } from '../../../messaging/errors.ts';
import type { ParsedDocument } from '../parsed-document.ts';
import { headingSizes } from './pdf-headings.ts';
import { readOutline } from './pdf-outline.ts';
import { pdfSections } from './pdf-pages.ts';
import { readPdfText } from './pdf-text.ts';

/** pdf.js VerbosityLevel.ERRORS: keeps its "Warning: …" console lines out of actor logs. */
const PDFJS_ERRORS_ONLY = 0;

/**
 * PDF → sections via unpdf (a serverless build of pdf.js): the pages' text without running headers,
 * footers, page numbers and printed tables of contents, flowing across page breaks, cut where each
 * entry of the outline (the bookmarks most books, manuals and papers carry) starts, under its path
 * of titles (pdf-pages.ts). A PDF without an outline is cut where a line is set in a heading's
 * larger type (pdf-headings.ts), or is one section with no heading when none is.
 * Title from the document information dictionary, else the first page's largest text where it
 * stands out (pdf-text.ts).
 */
export async function parsePdf(content: Uint8Array, signal?: AbortSignal): Promise<ParsedDocument> {
  signal?.throwIfAborted();
  // pdf.js may transfer (detach) the buffer it is given; hand it a copy so the caller's stays usable.
  const pdf = await getDocumentProxy(new Uint8Array(content), { verbosity: PDFJS_ERRORS_ONLY }).catch(
    (error: unknown) => {
      throw unreadable(error);
    },
  );
  try {
    signal?.throwIfAborted();
    const { pages, coverTitle, bodySize, sizes } = await readPdfText(pdf, signal).catch((error: unknown) => {
      throw signal?.aborted ? error : unreadable(error);
    });
    const outline = await readOutline(pdf, signal);
    signal?.throwIfAborted();
    const { info } = await pdf.getMetadata().catch(() => ({ info: {} }));
    // Labels, like the outline, are an aid: a PDF whose labels cannot be read is parsed without them.
    const labels = await pdf.getPageLabels().catch(() => null);
    const layout = { labels, headingSizes: headingSizes(sizes, bodySize) };
    return { title: infoTitle(info) ?? coverTitle, sections: pdfSections(pages, outline, layout) };
  } finally {
    await pdf.destroy();
  }
}

function infoTitle(info: unknown): string | null {
  const title = (info as { Title?: unknown } | null)?.Title;
  return typeof title === 'string' && title.trim() !== '' ? title.trim() : null;
}

function unreadable(error: unknown): PermanentError {
  const name = error instanceof Error ? error.name : '';
  const detail = error instanceof Error ? error.message : String(error);
  const hint =
    name === 'PasswordException'
      ? 'it is password-protected; upload an unencrypted copy'
      : 'check that the bytes are a complete, uncorrupted PDF and that mimeType is right';
  return new PermanentError(`cannot read PDF (${detail}): ${hint}`, { cause: error });
}
