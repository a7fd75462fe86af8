/**
 * Fills a collection to a chunk count fast, straight through the store's indexDocument (the
 * code the index actor runs), with corpus text cut into chunk-sized pieces and embedded once by
 * the hashing embedder; pieces repeat once the corpus is used up (fine for latency, which
 * does not depend on which texts the vectors came from).
 */
import type { Embedder } from '../embedders/embedder.ts';
import type { Store } from '../stores/store.ts';
import type { CorpusDocument } from './corpus.ts';

const CHUNKS_PER_DOCUMENT = 500;
const PIECE_CHARS = 1000;

export class Preloader {
  private pieces: { text: string; vector: Float32Array }[] = [];
  private loaded = 0;

  constructor(private readonly store: Store, private readonly embedder: Embedder, private readonly collection: string) {}

  async prepare(documents: readonly CorpusDocument[]): Promise<void> {
    const texts = documents.flatMap((doc) => {
      const out: string[] = [];
      for (let start = 0; start < doc.text.length; start += PIECE_CHARS - 150) out.push(doc.text.slice(start, start + PIECE_CHARS));
      return out;
    });
    const vectors = await this.embedder.embed(texts);
    this.pieces = texts.map((text, i) => ({ text, vector: vectors[i]! }));
  }

  /** Adds chunks until the collection holds `total`. */
  async fillTo(total: number): Promise<void> {
    const identity = await this.embedder.identity();
    while (this.loaded < total) {
      const id = `${this.collection}-preload-${this.loaded}`;
      const count = Math.min(CHUNKS_PER_DOCUMENT, total - this.loaded);
      await this.store.createJob({ id, collection: this.collection, documentId: id, priority: 'NORMAL' });
      await this.store.indexDocument({
        jobId: id,
        document: { id, collection: this.collection, title: 'preload', mimeType: 'text/markdown', sourceUrl: null, metadata: {}, contentHash: null },
        embedder: identity,
        chunks: Array.from({ length: count }, (_, i) => {
          const piece = this.pieces[(this.loaded + i) % this.pieces.length]!;
          return { id: `${id}-${i}`, ordinal: i, text: piece.text, heading: null, vector: piece.vector };
        }),
      });
      this.loaded += count;
    }
  }
}
