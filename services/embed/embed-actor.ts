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
import { PermanentError } from '../../messaging/errors.ts';
import type { Store } from '../../stores/store.ts';

/** Options of the embed actor. */
export interface EmbedActorOptions {
  /** Texts per embedder call; default 64. */
  readonly batchSize?: number;
}

export function embedActor(embedder: Embedder, store: Store, options: EmbedActorOptions = {}): StageActor<EmbedRequest> {
  const batchSize = options.batchSize ?? 64;
  return {
    stage: 'EMBED',
    parse: parseEmbedRequest,
    jobOf: (message) => message.job,
    async handle(message, context) {
      const identity = await embedder.identity(context.signal);
      const built = await store.getCollectionEmbedder(message.job.collection);
      if (built && !sameEmbedder(built, identity)) {
        const mismatch = new EmbedderMismatchError(message.job.collection, built, identity);
        throw new PermanentError(mismatch.message, { cause: mismatch });
      }
      const vectors: Float32Array[] = [];
      for (let start = 0; start < message.chunks.length; start += batchSize) {
        const batch = message.chunks.slice(start, start + batchSize);
        vectors.push(...await embedder.embed(batch.map(textToEmbed), context.signal));
        if (message.chunks.length > batchSize) await context.progress(vectors.length / message.chunks.length);
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
