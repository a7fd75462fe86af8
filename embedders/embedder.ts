/**
 * The embedder port: turns texts into vectors. Implementations: the local hashing
 * embedder (default, no model download) and Ollama.
 */
import type { EmbedderIdentity } from '../schema/domain.ts';

export interface Embedder {
  /** Name and dimension; for remote models the dimension is learned from the first answer. */
  identity(signal?: AbortSignal): Promise<EmbedderIdentity>;
  /** One vector per text, in order, each of `identity().dimension` floats, L2-normalised. */
  embed(texts: readonly string[], signal?: AbortSignal): Promise<Float32Array[]>;
}
