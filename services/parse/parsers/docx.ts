import mammoth from 'mammoth';
import { PermanentError } from '../../../messaging/errors.ts';
import type { ParsedDocument } from '../parsed-document.ts';
import { declaredTitle, isPropertyPart } from './declared-title.ts';
import { parseHtml } from './html.ts';
import { zipEntries } from './zip-entries.ts';

/**
 * Word's Title style is a first-level heading too: mammoth leaves it a paragraph, and the first
 * Heading 1 ("Introduction") was taken as the document's title.
 */
const STYLE_MAP = ["p[style-name='Title'] => h1:fresh"];

/**
 * DOCX → HTML with mammoth (Word's Title and Heading 1…6 styles become h1…h6, tables stay tables),
 * then the HTML parser, so headings become section paths as for any other format. The title is the
 * one its properties declare, else the Title paragraph, else the first Heading 1.
 */
export async function parseDocx(content: Uint8Array): Promise<ParsedDocument> {
  let html: string;
  try {
    ({ value: html } = await mammoth.convertToHtml({ buffer: Buffer.from(content) }, { styleMap: STYLE_MAP }));
  } catch (error) {
    if (error instanceof RangeError) throw error; // allocation failed: reported against the memory cap
    throw new PermanentError(`cannot read the DOCX (${(error as Error).message}): check that it is a complete Word document`, { cause: error });
  }
  const parsed = parseHtml(html);
  return { ...parsed, title: declaredTitle(zipEntries(content, 'DOCX', isPropertyPart)) ?? parsed.title };
}
