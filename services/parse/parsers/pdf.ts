import { extractText, getDocumentProxy } from 'unpdf';
import { PermanentError } from '../../../messaging/errors.ts';
import type { ParsedDocument, Section } from '../parsed-document.ts';

/** pdf.js VerbosityLevel.ERRORS: keeps its "Warning: …" console lines out of actor logs. */
const PDFJS_ERRORS_ONLY = 0;

/**
 * PDF → one section per page with text (headings []), via unpdf (a serverless build of pdf.js).
 * Title from the document information dictionary, if set. PDFs carry no reliable heading
 * structure, so pages are the only boundaries we keep.
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
    const { text: pages } = await extractText(pdf, { mergePages: false }).catch((error: unknown) => {
      throw unreadable(error);
    });
    signal?.throwIfAborted();
    const { info } = await pdf.getMetadata().catch(() => ({ info: {} }));

    const sections: Section[] = pages
      .map((page) => page.replace(/\r\n?/g, '\n').trim())
      .filter((page) => page !== '')
      .map((text) => ({ headings: [], text }));
    return { title: infoTitle(info), sections };
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
