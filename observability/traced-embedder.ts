/** Wraps an Embedder so that each embed call inside a traced operation is a child span. */
import type { Embedder } from '../services/embedders/embedder.ts';
import { ATTR, SPAN } from './attributes.ts';
import { inChildSpan } from './tracing.ts';

export function tracedEmbedder(embedder: Embedder): Embedder {
  return {
    identity: (signal) => embedder.identity(signal),
    embed: (texts, signal) => inChildSpan(SPAN.embed, { [ATTR.embedTexts]: texts.length }, () => embedder.embed(texts, signal)),
  };
}
