/** Wraps an Embedder so that each embed call inside a traced operation is a child span. */
import type { Embedder } from './embedder.ts';
import { ATTR, SPAN } from '../observability/attributes.ts';
import { inChildSpan } from '../observability/tracing.ts';

export function tracedEmbedder(embedder: Embedder): Embedder {
  return {
    identity: (signal) => embedder.identity(signal),
    embed: (texts, signal) => inChildSpan(SPAN.embed, { [ATTR.embedTexts]: texts.length }, () => embedder.embed(texts, signal)),
  };
}
