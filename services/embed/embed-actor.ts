/**
 * The embed actor: embeds chunks in batches with the configured embedder, after checking that
 * the collection was built with the same embedder (vectors of two models are not comparable).
 */
import { EmbedderMismatchError, sameEmbedder } from '../../schema/embedder-mismatch.ts';
import { parseEmbedRequest, type EmbedRequest } from '../../schema/messages/embed-request.ts';
import { encodeVector, type IndexRequestMessage } from '../../schema/messages/index-request.ts';
import type { Embedder } from '../../embedders/embedder.ts';
import { textToEmbed } from '../../embedders/text-to-embed.ts';
import type { StageActor } from '../../messaging/actor-runtime.ts';
import type { Store } from '../../stores/store.ts';

/** Chunks handed to the embedder at once: progress is reported between batches. */
const BATCH_SIZE = 64;

export function embedActor(embedder: Embedder, store: Store): StageActor<EmbedRequest> {
  return {
    stage: 'EMBED',
    parse: parseEmbedRequest,
    jobOf: (message) => message.job,
    async handle(message, context) {
      const identity = await embedder.identity(context.signal);
      const built = await store.getCollectionEmbedder(message.job.collection);
      // Non-retryable: the job fails at once, before any embedding work.
      if (built && !sameEmbedder(built, identity)) throw new EmbedderMismatchError(message.job.collection, built, identity);
      const vectors: Float32Array[] = [];
      for (let start = 0; start < message.chunks.length; start += BATCH_SIZE) {
        const batch = message.chunks.slice(start, start + BATCH_SIZE);
        vectors.push(...await embedder.embed(batch.map(textToEmbed), context.signal));
        if (message.chunks.length > BATCH_SIZE) await context.progress(vectors.length / message.chunks.length);
      }
      const next: IndexRequestMessage = {
        type: 'index.request',
        version: 1,
        job: message.job,
        document: message.document,
        embedder: identity,
        chunks: message.chunks.map((chunk, i) => ({ ...chunk, vectorBase64: encodeVector(vectors[i]!) })),
      };
      return { next };
    },
  };
}
