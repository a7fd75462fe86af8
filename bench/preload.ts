/**
 * Fills a collection to a chunk count fast, straight through the store's indexDocument (the
 * code the index actor runs), with corpus text embedded by the given embedder. Two kinds of text
 * (BENCH_PRELOAD_TEXTS):
 *
 * - `distinct` (the default): every chunk a text of its own, ten ~100-character segments of the
 *   corpus drawn at random (seeded by the chunk's number, so every run loads the same texts),
 *   embedded as they are loaded. Two chunks rarely share more than a segment, so a collection
 *   of 100k chunks holds 100k different vectors, as a real one does. Every chunk is embedded:
 *   with a remote embedder (EMBEDDER=ollama) that is 100k calls' worth where `repeated` needs ~4k.
 * - `repeated` (behind every figure before 2026-12-04): the corpus cut into chunk-sized pieces,
 *   embedded once, repeating once the corpus is used up. The bench corpus holds ~4k pieces, so at
 *   100k chunks each text is there ~25 times and at 1M ~250 times. That flattered search at 100k
 *   (`npm run bench:search`, minutes apart: recall@10 0.977 against 0.912 on distinct texts,
 *   VECTOR p95 3.7 against 11.9 ms, LEXICAL 14.7 against 29.9: among copies a search finds a copy
 *   of the answer cheaply, and a query's words match fewer chunks) and hurt the index at 1M
 *   (recall 0.765: hundreds of identical vectors crowd the neighbour lists). Kept to compare.
 */
import type { Embedder } from '../embedders/embedder.ts';
import type { EmbedderIdentity } from '../schema/domain.ts';
import type { Store } from '../stores/store.ts';
import type { CorpusDocument } from './corpus.ts';

const CHUNKS_PER_DOCUMENT = 500;
const PIECE_CHARS = 1000;
const SEGMENT_CHARS = 100;
const SEGMENTS_PER_CHUNK = 10;

export type PreloadTexts = 'repeated' | 'distinct';

export function preloadTextsOf(env: NodeJS.ProcessEnv): PreloadTexts {
  const value = env.BENCH_PRELOAD_TEXTS ?? 'distinct';
  if (value !== 'repeated' && value !== 'distinct') throw new Error(`BENCH_PRELOAD_TEXTS must be repeated or distinct, not "${value}"`);
  return value;
}

export interface PreloadChunk { readonly text: string; readonly vector: Float32Array }

/** The pre-load's texts and their vectors, by chunk number: the same numbers give the same chunks. */
export class PreloadTextSource {
  private pieces: PreloadChunk[] = [];
  private segments: string[] = [];

  constructor(private readonly embedder: Embedder, readonly texts: PreloadTexts = 'distinct') {}

  async prepare(documents: readonly CorpusDocument[]): Promise<void> {
    if (this.texts === 'distinct') {
      this.segments = documents.flatMap((doc) => cut(doc.text, SEGMENT_CHARS, 0));
      return;
    }
    const texts = documents.flatMap((doc) => cut(doc.text, PIECE_CHARS, 150));
    const vectors = await this.embedder.embed(texts);
    this.pieces = texts.map((text, i) => ({ text, vector: vectors[i]! }));
  }

  /** Chunks number `first` to `first + count - 1`. */
  async chunks(first: number, count: number): Promise<PreloadChunk[]> {
    const numbers = Array.from({ length: count }, (_, i) => first + i);
    if (this.texts === 'repeated') return numbers.map((n) => this.pieces[n % this.pieces.length]!);
    const texts = numbers.map((n) => {
      const random = mulberry32(n + 1);
      return Array.from({ length: SEGMENTS_PER_CHUNK }, () => this.segments[Math.floor(random() * this.segments.length)]!).join(' ');
    });
    const vectors = await this.embedder.embed(texts);
    return texts.map((text, i) => ({ text, vector: vectors[i]! }));
  }
}

/** Writes the source's chunks into a collection through the store, 500 to a document. */
export class Preloader {
  private readonly source: PreloadTextSource;
  private loaded = 0;

  constructor(
    private readonly store: Store,
    private readonly embedder: Embedder,
    private readonly collection: string,
    readonly texts: PreloadTexts = 'distinct',
  ) {
    this.source = new PreloadTextSource(embedder, texts);
  }

  prepare(documents: readonly CorpusDocument[]): Promise<void> {
    return this.source.prepare(documents);
  }

  /** Adds chunks until the collection holds `total`. */
  async fillTo(total: number): Promise<void> {
    const identity = await this.embedder.identity();
    while (this.loaded < total) {
      const id = `${this.collection}-preload-${this.loaded}`;
      const count = Math.min(CHUNKS_PER_DOCUMENT, total - this.loaded);
      const chunks = await this.source.chunks(this.loaded, count);
      // One document in ten "rare", the rest "common": what the bench's filtered searches select.
      const shelf = (this.loaded / CHUNKS_PER_DOCUMENT) % 10 === 0 ? 'rare' : 'common';
      await writeDocument(this.store, identity, { id, collection: this.collection, title: 'preload', mimeType: 'text/markdown', metadata: { shelf } }, chunks);
      this.loaded += count;
    }
  }
}

/** A document and its job, written through the store's indexDocument (the index actor's write). */
export async function writeDocument(
  store: Store,
  embedder: EmbedderIdentity,
  document: { readonly id: string; readonly collection: string; readonly title: string; readonly mimeType: string; readonly metadata?: Record<string, string> },
  chunks: readonly PreloadChunk[],
): Promise<void> {
  const { id, collection } = document;
  await store.createJob({ id, collection, documentId: id, priority: 'NORMAL' });
  await store.indexDocument({
    jobId: id,
    document: { ...document, sourceUrl: null, metadata: document.metadata ?? {}, contentHash: null },
    embedder,
    chunks: chunks.map((chunk, i) => ({ id: `${id}-${i}`, ordinal: i, text: chunk.text, heading: null, vector: chunk.vector })),
  });
}

/** Pieces of `size` characters, each starting `overlap` characters before the previous one ended. */
export function cut(text: string, size: number, overlap: number): string[] {
  const out: string[] = [];
  for (let start = 0; start < text.length; start += size - overlap) out.push(text.slice(start, start + size));
  return out;
}

/** A small seeded PRNG (mulberry32): the same chunk number always draws the same segments. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
