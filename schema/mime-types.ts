/** The document formats the system accepts: their MIME types, and detection from content or name. */
const MIME_TYPES = [
  'text/plain',
  'text/markdown',
  'text/x-markdown',
  'text/html',
  'application/xhtml+xml',
  'application/pdf',
] as const;

/** One of SUPPORTED_MIME_TYPES. */
export type SupportedMimeType = (typeof MIME_TYPES)[number];

/**
 * The MIME types parseDocument accepts, in the order error messages list them. Typed as plain
 * strings so `SUPPORTED_MIME_TYPES.includes(anyString)` type-checks; narrow with isSupportedMimeType.
 */
export const SUPPORTED_MIME_TYPES: readonly string[] = MIME_TYPES;

/** `Text/HTML; charset=utf-8` → `text/html`: parameters dropped, lower case. */
export function normalizeMimeType(mimeType: string): string {
  return (mimeType.split(';', 1)[0] ?? '').trim().toLowerCase();
}

/** Whether parseDocument accepts this type (after normalizeMimeType). */
export function isSupportedMimeType(mimeType: string): mimeType is SupportedMimeType {
  return SUPPORTED_MIME_TYPES.includes(mimeType);
}

const BY_EXTENSION: Readonly<Record<string, SupportedMimeType>> = {
  md: 'text/markdown',
  markdown: 'text/markdown',
  txt: 'text/plain',
  html: 'text/html',
  htm: 'text/html',
  xhtml: 'application/xhtml+xml',
  pdf: 'application/pdf',
};

const PDF_MAGIC = '%PDF-';
const HTML_START = /^(?:\ufeff)?\s*<(?:!doctype\s+html|html[\s>])/i;
/** Enough bytes to see past a BOM and leading whitespace to the first tag. */
const SNIFF_BYTES = 512;

/**
 * Guesses a supported MIME type when the client sent none: a PDF signature wins (it is
 * unambiguous, and servers often mislabel PDFs), then the file extension of the name or URL
 * path, then a leading `<!doctype html` / `<html`. Returns null when nothing matches.
 */
export function detectMimeType(bytes: Uint8Array, nameOrUrl?: string): SupportedMimeType | null {
  const head = new TextDecoder('latin1').decode(bytes.subarray(0, SNIFF_BYTES));
  if (head.startsWith(PDF_MAGIC)) return 'application/pdf';

  const extension = nameOrUrl === undefined ? undefined : extensionOf(nameOrUrl);
  const byExtension = extension === undefined ? undefined : BY_EXTENSION[extension];
  if (byExtension !== undefined) return byExtension;

  // Latin-1 maps bytes 1:1, so a UTF-8 BOM shows as three characters; drop it before matching.
  return HTML_START.test(head.replace(/^\xef\xbb\xbf/, '')) ? 'text/html' : null;
}

/** Lower-case extension of the last path segment, ignoring any query string or fragment. */
function extensionOf(nameOrUrl: string): string | undefined {
  const path = nameOrUrl.split(/[?#]/, 1)[0] ?? '';
  const segment = path.slice(path.lastIndexOf('/') + 1);
  const dot = segment.lastIndexOf('.');
  return dot > 0 ? segment.slice(dot + 1).toLowerCase() : undefined;
}
