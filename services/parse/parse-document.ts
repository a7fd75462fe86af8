import { PermanentError } from '../../messaging/errors.ts';
import {
  ASCIIDOC,
  DOCX,
  EPUB,
  isSupportedMimeType,
  ODT,
  PLAIN_TEXT_TYPES,
  PPTX,
  RESTRUCTURED_TEXT,
  XLSX,
  normalizeMimeType,
  SUPPORTED_MIME_TYPES,
  type SupportedMimeType,
} from '../../schema/mime-types.ts';
import { guardMarkdown } from './markdown-guard.ts';
import type { ParsedDocument } from './parsed-document.ts';
import { parseAsciidoc } from './parsers/asciidoc.ts';
import { parseHtml } from './parsers/html.ts';
import { parseMarkdown } from './parsers/markdown.ts';
import { parseRestructuredText } from './parsers/restructured-text.ts';
import { parsePdf } from './parsers/pdf.ts';
import { parsePlainText } from './parsers/plain-text.ts';
import { parseDocx } from './parsers/docx.ts';
import { parseEpub } from './parsers/epub.ts';
import { parseJson } from './parsers/json.ts';
import { parseOdt } from './parsers/odt.ts';
import { parsePptx } from './parsers/pptx.ts';
import { parseTable } from './parsers/table.ts';
import { parseXlsx } from './parsers/xlsx.ts';

type Parser = (content: Uint8Array, signal?: AbortSignal) => ParsedDocument | Promise<ParsedDocument>;

/** One parser per supported type; the Record type makes a missing entry a compile error. */
const PARSERS: Readonly<Record<SupportedMimeType, Parser>> = {
  'text/plain': (bytes) => parsePlainText(decodeUtf8(bytes, 'text/plain')),
  'text/markdown': (bytes) => parseMarkdown(guardMarkdown(decodeUtf8(bytes, 'text/markdown'))),
  'text/x-markdown': (bytes) => parseMarkdown(guardMarkdown(decodeUtf8(bytes, 'text/x-markdown'))),
  [ASCIIDOC]: (bytes) => parseAsciidoc(decodeUtf8(bytes, ASCIIDOC)),
  [RESTRUCTURED_TEXT]: (bytes) => parseRestructuredText(decodeUtf8(bytes, RESTRUCTURED_TEXT)),
  'text/prs.fallenstein.rst': (bytes) => parseRestructuredText(decodeUtf8(bytes, 'text/prs.fallenstein.rst')),
  'text/html': (bytes) => parseHtml(decodeUtf8(bytes, 'text/html')),
  'application/xhtml+xml': (bytes) => parseHtml(decodeUtf8(bytes, 'application/xhtml+xml')),
  'application/pdf': parsePdf,
  'text/csv': (bytes) => parseTable(decodeUtf8(bytes, 'text/csv'), ','),
  'text/tab-separated-values': (bytes) => parseTable(decodeUtf8(bytes, 'text/tab-separated-values'), '\t'),
  'application/json': (bytes) => parseJson(decodeUtf8(bytes, 'application/json')),
  [DOCX]: parseDocx,
  [EPUB]: parseEpub,
  [ODT]: parseOdt,
  [PPTX]: parsePptx,
  [XLSX]: parseXlsx,
  ...Object.fromEntries(PLAIN_TEXT_TYPES.map((type) => [type, (bytes: Uint8Array) => parsePlainText(decodeUtf8(bytes, type))])) as
    Record<(typeof PLAIN_TEXT_TYPES)[number], Parser>,
};

/**
 * Turns a document's bytes into readable sections, whatever its format. `mimeType` parameters
 * (`; charset=…`) are ignored and text is always read as UTF-8. Throws PermanentError for an
 * unsupported type or unreadable content (retrying cannot help); if `signal` aborts, throws its
 * reason (the runtime decides between cancellation and shutdown).
 */
export async function parseDocument(
  content: Uint8Array,
  mimeType: string,
  signal?: AbortSignal,
): Promise<ParsedDocument> {
  signal?.throwIfAborted();
  const type = normalizeMimeType(mimeType);
  if (!isSupportedMimeType(type)) {
    throw new PermanentError(
      `unsupported mimeType "${mimeType}": supported types are ${SUPPORTED_MIME_TYPES.join(', ')}; ` +
        'convert the document to one of them or send the right mimeType',
    );
  }
  const parsed = await PARSERS[type](content, signal);
  signal?.throwIfAborted();
  return parsed;
}

function decodeUtf8(bytes: Uint8Array, type: string): string {
  let text: string;
  try {
    // fatal: a wrong encoding fails loudly instead of indexing U+FFFD replacement characters.
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (error) {
    throw new PermanentError(
      `content is not valid UTF-8 for ${type}: re-encode the document as UTF-8 or send the right mimeType`,
      { cause: error },
    );
  }
  if (text.includes('\u0000')) {
    throw new PermanentError(
      `content contains NUL bytes, so it is binary, not ${type}: send the right mimeType`,
    );
  }
  return text;
}
