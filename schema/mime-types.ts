/** The document formats the system accepts: their MIME types, and detection from content or name. */

/** Source code, logs and configuration: read as plain text. */
const PLAIN_TEXT_GROUP = [
  'text/x-log', 'text/x-python', 'text/javascript', 'application/javascript', 'application/typescript',
  'text/x-typescript', 'text/x-c', 'text/x-c++', 'text/x-java-source', 'text/x-go', 'text/x-rust',
  'text/x-ruby', 'text/x-shellscript', 'application/x-sh', 'text/x-sql', 'application/sql', 'text/css',
  'text/yaml', 'application/yaml', 'application/toml', 'text/xml', 'application/xml',
] as const;

/** Types whose content is read as plain text (code, logs, configuration), besides text/plain. */
export const PLAIN_TEXT_TYPES: readonly (typeof PLAIN_TEXT_GROUP)[number][] = PLAIN_TEXT_GROUP;

export const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
export const ODT = 'application/vnd.oasis.opendocument.text';
export const EPUB = 'application/epub+zip';
export const PPTX = 'application/vnd.openxmlformats-officedocument.presentationml.presentation';
export const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
/** AsciiDoc has no registered type; this is the one its tools and GitHub use. */
export const ASCIIDOC = 'text/asciidoc';
/** reStructuredText: the type docutils and most servers use; IANA registered `text/prs.fallenstein.rst`. */
export const RESTRUCTURED_TEXT = 'text/x-rst';

const MIME_TYPES = [
  'text/plain',
  'text/markdown',
  'text/x-markdown',
  ASCIIDOC,
  RESTRUCTURED_TEXT,
  'text/prs.fallenstein.rst',
  'text/html',
  'application/xhtml+xml',
  'application/pdf',
  'text/csv',
  'text/tab-separated-values',
  'application/json',
  DOCX,
  EPUB,
  ODT,
  PPTX,
  XLSX,
  ...PLAIN_TEXT_GROUP,
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
  adoc: ASCIIDOC,
  asciidoc: ASCIIDOC,
  rst: RESTRUCTURED_TEXT,
  rest: RESTRUCTURED_TEXT,
  txt: 'text/plain',
  html: 'text/html',
  htm: 'text/html',
  xhtml: 'application/xhtml+xml',
  pdf: 'application/pdf',
  csv: 'text/csv',
  tsv: 'text/tab-separated-values',
  tab: 'text/tab-separated-values',
  json: 'application/json',
  docx: DOCX,
  epub: EPUB,
  odt: ODT,
  pptx: PPTX,
  xlsx: XLSX,
  log: 'text/x-log',
  py: 'text/x-python',
  js: 'text/javascript',
  mjs: 'text/javascript',
  cjs: 'text/javascript',
  ts: 'application/typescript',
  c: 'text/x-c',
  h: 'text/x-c',
  cc: 'text/x-c++',
  cpp: 'text/x-c++',
  hpp: 'text/x-c++',
  java: 'text/x-java-source',
  go: 'text/x-go',
  rs: 'text/x-rust',
  rb: 'text/x-ruby',
  sh: 'text/x-shellscript',
  sql: 'text/x-sql',
  css: 'text/css',
  yaml: 'text/yaml',
  yml: 'text/yaml',
  toml: 'application/toml',
  xml: 'text/xml',
};

/** The file extensions detectMimeType recognises by name (`.md .markdown .txt …`). */
export const KNOWN_EXTENSIONS: readonly string[] = Object.keys(BY_EXTENSION).map((extension) => `.${extension}`);

const PDF_MAGIC = '%PDF-';
const HTML_START = /^(?:\ufeff)?\s*<(?:!doctype\s+html|html[\s>])/i;
/** Enough bytes to see past a BOM and leading whitespace to the first tag. */
const SNIFF_BYTES = 512;

/**
 * Guesses a supported MIME type when the client sent none: a PDF signature wins (it is
 * unambiguous, and servers often mislabel PDFs), then a ZIP container's own markers (DOCX, PPTX,
 * XLSX, EPUB, ODT), then the file extension of the name or URL path, then the content: a leading
 * `<!doctype html` / `<html`, JSON, rows of CSV or TSV, and finally any UTF-8 text without NUL
 * bytes (code, logs) as text/plain. Returns null when nothing matches (binary content).
 */
export function detectMimeType(bytes: Uint8Array, nameOrUrl?: string): SupportedMimeType | null {
  const head = new TextDecoder('latin1').decode(bytes.subarray(0, SNIFF_BYTES));
  if (head.startsWith(PDF_MAGIC)) return 'application/pdf';
  if (head.startsWith(ZIP_MAGIC)) return zipContainerType(bytes);

  const extension = nameOrUrl === undefined ? undefined : extensionOf(nameOrUrl);
  const byExtension = extension === undefined ? undefined : BY_EXTENSION[extension];
  if (byExtension !== undefined) return byExtension;

  const text = utf8Text(bytes);
  if (text === null) return null;
  // Latin-1 maps bytes 1:1, so a UTF-8 BOM shows as three characters; drop it before matching.
  if (HTML_START.test(head.replace(/^\xef\xbb\xbf/, ''))) return 'text/html';
  if (isJson(text)) return 'application/json';
  const rows = text.slice(0, TABLE_SNIFF_CHARS).split(/\r?\n/).slice(0, TABLE_SNIFF_ROWS + 1);
  if (rows.length > TABLE_SNIFF_ROWS) rows.pop(); // possibly cut short by the slice
  if (sameCountOnEveryRow(rows, '\t')) return 'text/tab-separated-values';
  if (sameCountOnEveryRow(rows, ',')) return 'text/csv';
  return 'text/plain';
}

const ZIP_MAGIC = 'PK\x03\x04';
/**
 * ODF and EPUB store an uncompressed `mimetype` entry first, so its content sits right after the
 * first local header; OOXML has no such entry, but its part names are stored uncompressed.
 */
function zipContainerType(bytes: Uint8Array): SupportedMimeType | null {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const head = buffer.subarray(0, SNIFF_BYTES).toString('latin1');
  if (head.includes('mimetypeapplication/epub+zip')) return EPUB;
  if (head.includes(`mimetype${ODT}`)) return ODT;
  if (buffer.includes('word/document.xml', 0, 'latin1')) return DOCX;
  if (buffer.includes('ppt/presentation.xml', 0, 'latin1')) return PPTX;
  if (buffer.includes('xl/workbook.xml', 0, 'latin1')) return XLSX;
  return null;
}

function utf8Text(bytes: Uint8Array): string | null {
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return text.includes('\u0000') ? null : text;
  } catch {
    return null;
  }
}

function isJson(text: string): boolean {
  if (!/^\s*[[{]/.test(text)) return false;
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** Rows looked at to recognise CSV or TSV, and the most characters read for them. */
const TABLE_SNIFF_ROWS = 20;
const TABLE_SNIFF_CHARS = 64 * 1024;

/**
 * At least three rows, every one with a `separator` and none with more than the header row
 * (tables may leave trailing cells out, as Debian's release table does): a table, not prose.
 */
function sameCountOnEveryRow(rows: readonly string[], separator: string): boolean {
  const filled = rows.filter((row) => row.trim() !== '');
  if (filled.length < 3) return false;
  const counts = filled.map((row) => row.split(separator).length - 1);
  const header = counts[0]!;
  return counts.every((count) => count > 0 && count <= header);
}

/** Lower-case extension of the last path segment, ignoring any query string or fragment. */
function extensionOf(nameOrUrl: string): string | undefined {
  const path = nameOrUrl.split(/[?#]/, 1)[0] ?? '';
  const segment = path.slice(path.lastIndexOf('/') + 1);
  const dot = segment.lastIndexOf('.');
  return dot > 0 ? segment.slice(dot + 1).toLowerCase() : undefined;
}
