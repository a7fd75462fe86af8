/** Builds the IngestInput of one source: URLs as `url`, files as base64 with their detected type. */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { detectMimeType, KNOWN_EXTENSIONS } from '../schema/mime-types.ts';
import type { Source } from './collect-sources.ts';

/** What detectMimeType recognises by name (most formats, and any UTF-8 text, are also recognised by content). */
const SUPPORTED_EXTENSIONS = KNOWN_EXTENSIONS.join(' ');

/** Options every document of one `rag ingest` shares. */
export interface IngestDefaults {
  readonly collection: string;
  readonly priority: string;
  /** Process every document even if unchanged since it was indexed (`--force`). */
  readonly force?: boolean;
}

/** The GraphQL IngestInput, as the CLI sends it. */
export interface IngestInput {
  readonly collection: string;
  readonly priority: string;
  readonly force?: boolean;
  readonly documentId?: string;
  readonly url?: string;
  readonly contentBase64?: string;
  readonly mimeType?: string;
  readonly metadata?: Readonly<Record<string, unknown>>;
}

/** Either the input to send, or why the source is skipped. */
export type Prepared = { readonly input: IngestInput } | { readonly skipped: string };

export async function prepareInput(source: Source, defaults: IngestDefaults): Promise<Prepared> {
  const common = { collection: defaults.collection, priority: defaults.priority, ...(defaults.force ? { force: true } : {}) };
  if (source.kind === 'url') return { input: { ...common, url: source.url, metadata: { url: source.url } } };
  let bytes: Buffer;
  try {
    bytes = await readFile(source.absolutePath);
  } catch (error) {
    return { skipped: `cannot read the file (${(error as NodeJS.ErrnoException).code ?? String(error)})` };
  }
  if (bytes.length === 0) return { skipped: 'empty file' };
  const mimeType = detectMimeType(bytes, source.absolutePath);
  if (mimeType === null) {
    const extension = path.extname(source.absolutePath) || 'no extension';
    return { skipped: `unsupported file type (${extension}); supported: ${SUPPORTED_EXTENSIONS}` };
  }
  return {
    input: {
      ...common,
      documentId: fileDocumentId(source.absolutePath),
      contentBase64: bytes.toString('base64'),
      mimeType,
      // No title: the one the document declares (an HTML <title>, Markdown front matter or first
      // h1, a PDF's or EPUB's) is the title, as for a URL. A file's name sent as its title won over
      // it, and a folder of index.md files answered every search with "index.md".
      metadata: { path: source.name },
    },
  };
}

/** The gateway's limit on a document id. */
const MAX_DOCUMENT_ID = 256;

/**
 * A file is one document whatever its content, named by where it is: ingesting it again after an
 * edit replaces its chunks, where an id made from the content (the gateway's default) added the
 * new version beside the old one, and searches found both. (A URL's default id is made from the
 * URL, so a page fetched again replaces itself already.)
 */
export function fileDocumentId(absolutePath: string): string {
  const id = `${FILE_ID_PREFIX}${absolutePath}`;
  return id.length <= MAX_DOCUMENT_ID ? id : `file-sha256:${createHash('sha256').update(absolutePath).digest('hex')}`;
}

/** What every file's document id starts with (but those of paths too long, hashed). */
export const FILE_ID_PREFIX = 'file:';

/** The file a document id names, or null when it names none (or only its hash). */
export function fileOfDocumentId(id: string): string | null {
  return id.startsWith(FILE_ID_PREFIX) ? id.slice(FILE_ID_PREFIX.length) : null;
}
