/**
 * What a document's indexed chunks were made from, so that ingesting it again unchanged finishes
 * at once instead of parsing, chunking and embedding the same bytes into the same chunks (a folder
 * synced again, a page fetched again that has not changed). Two steps, each taken by the stage
 * that knows its part:
 *
 * - the parse stage digests the source: the content's sha256, its media type, the title and
 *   metadata the client gave, the source URL, and PROCESSING_VERSION;
 * - the chunk stage adds its chunk size and overlap: the document's fingerprint, which the index
 *   stage stores with the document.
 *
 * Before parsing, the parse stage works out the fingerprint its own settings would give; a stored
 * document that has it would get the same chunks again (and the same vectors: a collection keeps
 * one embedder while it holds documents), so the job succeeds with the chunks it has. Settings
 * that differ between the parse and the chunk process can only make the two differ, and then the
 * document is processed.
 */
import { createHash } from 'node:crypto';
import type { Metadata } from '../schema/domain.ts';

/**
 * Bump when parsing or chunking starts turning the same input into other chunks (a parser fix, a
 * new splitter): every document's next ingest is then processed again. 2: HTML headings without
 * their permalink marks; Markdown front matter as metadata and title, not text. 3: HTML tables as
 * one block with a header row; a long table's header repeated in each of its chunks; an HTML
 * or Markdown document's table of contents dropped; a PDF's sections from its outline, without
 * running headers and footers. 4: a PDF without an outline cut at its headings' larger type;
 * printed tables of contents, indexes and page numbers left out of a PDF's text, and its words
 * broken at line ends made whole; an office file's title from its properties; an HTML table
 * holding a heading read as the page's layout, an element named a table of contents or
 * navigation dropped, and a permalink's mark left out of the text as of headings.
 */
export const PROCESSING_VERSION = 4;

/** The event note of a job that found its document unchanged. */
export const UNCHANGED_NOTE = 'unchanged since it was indexed: its chunks are kept';

export interface DocumentSource {
  readonly contentHash: string;
  readonly mimeType: string | null;
  readonly title: string | null;
  readonly sourceUrl: string | null;
  readonly metadata: Metadata;
}

export function sourceDigest(source: DocumentSource): string {
  return digest([
    PROCESSING_VERSION, source.contentHash, source.mimeType, source.title, source.sourceUrl, canonicalJson(source.metadata),
  ]);
}

export function documentFingerprint(digestOfSource: string, chunking: { readonly size: number; readonly overlap: number }): string {
  return digest([digestOfSource, chunking.size, chunking.overlap]);
}

function digest(parts: readonly unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

/** JSON with every object's keys sorted: the same metadata given in another key order digests the same. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.keys(value).sort().map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]));
}
