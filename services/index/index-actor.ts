/**
 * The index actor: replaces the document's chunks and vectors and marks the job SUCCEEDED in
 * one store transaction. Redelivery rewrites the same rows (chunk ids are stable); a job
 * cancelled meanwhile writes nothing.
 */
import { decodeVector, parseIndexRequest, type IndexRequestMessage } from '../../schema/messages/index-request.ts';
import type { StageActor } from '../../messaging/actor-runtime.ts';
import type { Store } from '../../stores/store.ts';

export function indexActor(store: Store): StageActor<IndexRequestMessage> {
  return {
    stage: 'INDEX',
    parse: parseIndexRequest,
    jobOf: (message) => message.job,
    async handle(message, context) {
      context.signal.throwIfAborted();
      const { job, document, embedder } = message;
      // Another embedder (EmbedderMismatchError) or another document than the job's (JobDocumentMismatchError):
      // both errors are non-retryable, so the job fails at once.
      const outcome = await store.indexDocument({
        jobId: job.jobId,
        document: { id: job.documentId, collection: job.collection, ...document },
        embedder,
        chunks: message.chunks.map((chunk) => ({
          id: chunk.id, ordinal: chunk.ordinal, text: chunk.text, heading: chunk.heading, vector: decodeVector(chunk.vectorBase64),
        })),
      });
      return { done: outcome.job };
    },
  };
}
