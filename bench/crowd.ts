/**
 * Other collections beside the searched one, as a real store holds them: the corpus's documents
 * whole, under their own titles, cut into chunk-sized pieces. The bench's queries are those titles,
 * so these chunks are the strongest lexical matches in the store; they crowd the searched
 * collection wherever an index is shared between collections (`npm run bench` holds six such
 * copies when it searches at 100k: two sync rounds, two async rounds, the other layout, pages).
 */
import type { Embedder } from '../embedders/embedder.ts';
import type { Store } from '../stores/store.ts';
import type { CorpusDocument } from './corpus.ts';
import { cut, writeDocument } from './preload.ts';

const PIECE_CHARS = 1000;

/** Writes every document into `collection` through the store's indexDocument; returns the chunk count. */
export async function loadCorpusCopy(store: Store, embedder: Embedder, collection: string, documents: readonly CorpusDocument[]): Promise<number> {
  const identity = await embedder.identity();
  let chunks = 0;
  for (const doc of documents) {
    const texts = cut(doc.text, PIECE_CHARS, 0);
    if (texts.length === 0) continue;
    const vectors = await embedder.embed(texts);
    const document = { id: `${collection}-${doc.id}`, collection, title: doc.title, mimeType: doc.mimeType };
    await writeDocument(store, identity, document, texts.map((text, i) => ({ text, vector: vectors[i]! })));
    chunks += texts.length;
  }
  return chunks;
}
