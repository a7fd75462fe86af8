/**
 * The index actor: replaces the document's chunks and vectors and marks the job SUCCEEDED in
 * one store transaction. Redelivery rewrites the same rows (chunk ids are stable); a job
 * cancelled meanwhile writes nothing.
 */
import { decodeVector, parseIndexRequest, type IndexRequestMessage } from '../../schema/messages/index-request.ts';
import type { StageActor } from '../../messaging/actor-runtime.ts';
import { PermanentError } from '../../messaging/errors.ts';
import { EmbedderMismatchError } from '../../schema/embedder-mismatch.ts';
import { JobDocumentMismatchError, type Store } from '../../stores/store.ts';

export function indexActor(store: Store): StageActor<IndexRequestMessage> {
  return {
    stage: 'INDEX',
    parse: parseIndexRequest,
    jobOf: (message) => message.job,
    async handle(message, context) {
      context.signal.throwIfAborted();
      const { job, document, embedder } = message;
      try {
        const outcome = await store.indexDocument({
          jobId: job.jobId,
          document: { id: job.documentId, collection: job.collection, ...document },
          embedder,
          chunks: message.chunks.map((chunk) => ({
            id: chunk.id, ordinal: chunk.ordinal, text: chunk.text, heading: chunk.heading, vector: decodeVector(chunk.vectorBase64),
          })),
        });
        return { done: outcome.job };
      } catch (error) {
        // Neither heals with a retry: another embedder, or a message naming another document than its job's.
        if (error instanceof EmbedderMismatchError || error instanceof JobDocumentMismatchError) {
          throw new PermanentError(error.message, { cause: error });
        }
        throw error;
      }
    },
  };
}
