import { RecursiveCharacterTextSplitter } from '@langchain/textsplitters';
import type { ParsedDocument } from '../parse/parsed-document.ts';
import { DEFAULTS } from '../../config/config.ts';
import { PermanentError } from '../../messaging/errors.ts';
import { findPipeTables, type PipeTable } from './pipe-tables.ts';

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
 * chunk crosses a heading boundary. A pipe table too long for one chunk is cut between its rows
 * instead, each piece starting with the table's header (see splitTable). Chunks are numbered
 * 0..n-1 in document order; blank pieces are dropped. Throws PermanentError naming the option
 * when options are out of range.
 */
export async function splitSections(doc: ParsedDocument, options?: Partial<ChunkOptions>): Promise<TextChunk[]> {
  const chunkOptions = resolveChunkOptions(options);
  const splitter = new RecursiveCharacterTextSplitter({ chunkSize: chunkOptions.size, chunkOverlap: chunkOptions.overlap });
  const chunks: TextChunk[] = [];
  for (const section of doc.sections) {
    const heading = section.headings.length > 0 ? section.headings.join(' > ') : null;
    for (const piece of await splitSection(section.text, splitter, chunkOptions)) {
      const text = piece.trim();
      if (text !== '') chunks.push({ ordinal: chunks.length, text, heading });
    }
  }
  return chunks;
}

/** One section's pieces: its long tables split by splitTable, the text around them by `splitter`. */
async function splitSection(text: string, splitter: RecursiveCharacterTextSplitter, options: ChunkOptions): Promise<string[]> {
  const tables = findPipeTables(text).filter((table) => table.end - table.start > options.size && table.header.length <= options.size / 2);
  if (tables.length === 0) return splitter.splitText(text);
  const pieces: string[] = [];
  // Loops, not push(...): a long section splits into more pieces than a call takes arguments.
  const add = (more: readonly string[]) => {
    for (const piece of more) pieces.push(piece);
  };
  let from = 0;
  for (const table of tables) {
    add(await splitter.splitText(text.slice(from, table.start)));
    add(await splitTable(table, options));
    from = table.end;
  }
  add(await splitter.splitText(text.slice(from)));
  return pieces;
}

/**
 * A table longer than a chunk, cut between rows: each piece is the header and delimiter rows, then
 * as many whole rows as fit, so a piece read alone still says what its columns are (a row cut from
 * its header reads "| MAX_WS_INIT_BYTES | 4096 |" with nothing naming either value). A row too long
 * for a piece beside the header is split as text, each part under the header. Tables whose header
 * takes more than half a chunk are split as text.
 */
async function splitTable(table: PipeTable, options: ChunkOptions): Promise<string[]> {
  const room = options.size - table.header.length - 1;
  const rowSplitter = new RecursiveCharacterTextSplitter({ chunkSize: room, chunkOverlap: Math.min(options.overlap, Math.floor(room / 4)) });
  const pieces: string[] = [];
  let rows: string[] = [];
  let length = -1;
  const flush = () => {
    if (rows.length > 0) pieces.push(`${table.header}\n${rows.join('\n')}`);
    rows = [];
    length = -1;
  };
  for (const row of table.rows) {
    if (row.length > room) {
      flush();
      for (const part of await rowSplitter.splitText(row)) pieces.push(`${table.header}\n${part}`);
      continue;
    }
    if (length + 1 + row.length > room) flush();
    rows.push(row);
    length += 1 + row.length;
  }
  flush();
  return pieces;
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
