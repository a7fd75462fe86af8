/**
 * A collection's vectors are comparable only with vectors of the same embedder: one check and
 * one message for the gateway (search), the embed actor and the stores (index, search).
 */
import type { EmbedderIdentity } from './domain.ts';

/** True when two identities name the same model and dimension. */
export function sameEmbedder(a: EmbedderIdentity, b: EmbedderIdentity): boolean {
  return canonicalEmbedderName(a.name) === canonicalEmbedderName(b.name) && a.dimension === b.dimension;
}

/**
 * An embedder's name with the spellings that name one model made one: Ollama reads
 * `nomic-embed-text`, `nomic-embed-text:latest`, `Nomic-Embed-Text` and
 * `registry.ollama.ai/library/nomic-embed-text:latest` as the same model (the default registry,
 * namespace and tag filled in, case ignored), so a collection built with one is not refused to a
 * process configured with another. Names are compared so, and stored as they were given.
 */
export function canonicalEmbedderName(name: string): string {
  if (!name.startsWith('ollama/')) return name;
  let model = name.slice('ollama/'.length).toLowerCase().replace(/^registry\.ollama\.ai\//, '').replace(/^library\//, '');
  if (!/:[^/]*$/.test(model)) model = `${model}:latest`;
  return `ollama/${model}`;
}

/** Thrown when a collection is written or queried with an embedder other than the one it was built with. */
export class EmbedderMismatchError extends Error {
  /** Retrying cannot help: the runtime fails the job at once (messaging/errors.ts). */
  readonly nonRetryable = true;

  constructor(readonly collection: string, readonly expected: EmbedderIdentity, readonly actual: EmbedderIdentity) {
    super(
      `collection "${collection}" was indexed with embedder ${expected.name} (${expected.dimension} dimensions), ` +
      `not ${actual.name} (${actual.dimension} dimensions): use the same embedder or a new collection`,
    );
    this.name = 'EmbedderMismatchError';
  }
}

/**
 * Refuses a search vector the collection cannot be compared with: made by another embedder (when
 * the query names its embedder) or of another dimension. LEXICAL searches carry no vector.
 */
export function checkQueryEmbedder(
  collection: string, built: EmbedderIdentity, vector: Float32Array | null, embedder: EmbedderIdentity | undefined,
): void {
  if (vector === null) return;
  if (embedder !== undefined && !sameEmbedder(built, embedder)) throw new EmbedderMismatchError(collection, built, embedder);
  // Without a name, report the vector's dimension, which is what differs.
  if (vector.length !== built.dimension) {
    throw new EmbedderMismatchError(collection, built, { name: 'query vector', dimension: vector.length });
  }
}
