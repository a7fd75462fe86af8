import { RecursiveCharacterTextSplitter } from '@langchain/textsplitters';
import type { ParsedDocument } from '../parse/parsed-document.ts';
import { DEFAULTS } from '../../config/config.ts';
import { PermanentError } from '../../messaging/errors.ts';

/** Chunk sizes in characters (CHUNK_SIZE, CHUNK_OVERLAP; defaults in config/). */
export interface ChunkOptions {
  /** Largest chunk, in characters; at least MIN_CHUNK_SIZE. */
  readonly size: number;
  /**
   * Characters repeated between consecutive chunks of one section; 0 ≤ overlap < size.
   * When only a size is given, the default overlap scaled to the same share of it.
   */
  readonly overlap: number;
}

export const DEFAULT_CHUNK_OPTIONS: ChunkOptions = { size: DEFAULTS.chunkSize, overlap: DEFAULTS.chunkOverlap };

/** Below this a chunk holds too little context to embed usefully. */
export const MIN_CHUNK_SIZE = 50;

/** A piece of a document ready to embed; heading is the section path joined with " > ", or null. */
export interface TextChunk {
  readonly ordinal: number;
  readonly text: string;
  readonly heading: string | null;
}

/**
 * Splits each section on its own (paragraphs, then lines, then words, then characters) so no
 * chunk crosses a heading boundary. Chunks are numbered 0..n-1 in document order; blank pieces
 * are dropped. Throws PermanentError naming the option when options are out of range.
 */
export async function splitSections(doc: ParsedDocument, options?: Partial<ChunkOptions>): Promise<TextChunk[]> {
  const { size, overlap } = resolveChunkOptions(options);
  const splitter = new RecursiveCharacterTextSplitter({ chunkSize: size, chunkOverlap: overlap });
  const chunks: TextChunk[] = [];
  for (const section of doc.sections) {
    const heading = section.headings.length > 0 ? section.headings.join(' > ') : null;
    for (const piece of await splitter.splitText(section.text)) {
      const text = piece.trim();
      if (text !== '') chunks.push({ ordinal: chunks.length, text, heading });
    }
  }
  return chunks;
}

/** Merges options over the defaults and checks them, naming the option and its limit. */
function resolveChunkOptions(options?: Partial<ChunkOptions>): ChunkOptions {
  const size = options?.size ?? DEFAULT_CHUNK_OPTIONS.size;
  // Setting only a small size must not trip the overlap check with the default 150.
  const overlap =
    options?.overlap ??
    Math.min(DEFAULT_CHUNK_OPTIONS.overlap, Math.floor((size * DEFAULT_CHUNK_OPTIONS.overlap) / DEFAULT_CHUNK_OPTIONS.size));
  if (!Number.isInteger(size) || size < MIN_CHUNK_SIZE) {
    throw new PermanentError(
      `chunk option "size" must be an integer of at least ${MIN_CHUNK_SIZE} characters (got ${size}); ` +
        `raise it or leave it unset for the default ${DEFAULT_CHUNK_OPTIONS.size}`,
    );
  }
  if (!Number.isInteger(overlap) || overlap < 0 || overlap >= size) {
    throw new PermanentError(
      `chunk option "overlap" must be an integer from 0 to size - 1 = ${size - 1} characters (got ${overlap}); ` +
        `lower it below size or leave it unset for the default ${DEFAULT_CHUNK_OPTIONS.overlap}`,
    );
  }
  return { size, overlap };
}
