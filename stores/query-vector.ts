/**
 * A query vector with no direction (every component 0: the hashing embedder's answer for a text
 * with no word, such as "-") stands at no angle to any chunk, so its cosine with each is NaN, and
 * Atlas refuses it. Such a query matches nothing by vector, as a text with no word matches
 * nothing lexically; HYBRID then answers with its lexical ranking alone.
 */
export function hasDirection(vector: Float32Array): boolean {
  return vector.some((component) => component !== 0);
}
