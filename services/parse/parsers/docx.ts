import mammoth from 'mammoth';
import { PermanentError } from '../../../messaging/errors.ts';
import type { ParsedDocument } from '../parsed-document.ts';
import { parseHtml } from './html.ts';

/**
 * DOCX → HTML with mammoth (Word's Heading 1…6 styles become h1…h6, tables stay tables), then
 * the HTML parser, so headings become section paths as for any other format.
 */
export async function parseDocx(content: Uint8Array): Promise<ParsedDocument> {
  let html: string;
  try {
    ({ value: html } = await mammoth.convertToHtml({ buffer: Buffer.from(content) }));
  } catch (error) {
    if (error instanceof RangeError) throw error; // allocation failed: reported against the memory cap
    throw new PermanentError(`cannot read the DOCX (${(error as Error).message}): check that it is a complete Word document`, { cause: error });
  }
  return parseHtml(html);
}
