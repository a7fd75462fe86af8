import type { ParsedDocument } from '../parsed-document.ts';

/**
 * Plain text has no structure we can trust, so it becomes one untitled section; the chunker
 * still splits it on blank lines first.
 */
export function parsePlainText(text: string): ParsedDocument {
  const normalized = text.replace(/\r\n?/g, '\n').trim();
  return { title: null, sections: normalized === '' ? [] : [{ headings: [], text: normalized }] };
}
