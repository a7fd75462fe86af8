/** The chunk actor: heading-aware recursive splitting of sections into chunks with stable ids. */
import { parseChunkRequest, type ChunkRequest } from '../../schema/messages/chunk-request.ts';
import type { EmbedRequest } from '../../schema/messages/embed-request.ts';
import type { StageActor } from '../../messaging/actor-runtime.ts';
import { PermanentError } from '../../messaging/errors.ts';
import { chunkId } from './chunk-id.ts';
import { documentFingerprint } from '../document-fingerprint.ts';
import { splitSections, type ChunkOptions } from './split-sections.ts';

export function chunkActor(options: ChunkOptions): StageActor<ChunkRequest> {
  return {
    stage: 'CHUNK',
    parse: parseChunkRequest,
    jobOf: (message) => message.job,
    async handle(message) {
      const chunks = await splitSections({ title: message.document.title, sections: message.sections }, options);
      if (chunks.length === 0) throw new PermanentError('the document has no readable text to index');
      const next: EmbedRequest = {
        type: 'embed.request',
        version: 1,
        job: message.job,
        document: { ...message.document, fingerprint: fingerprintOf(message.document.sourceDigest, options) },
        chunks: chunks.map((chunk) => ({ ...chunk, id: chunkId(message.job.collection, message.job.documentId, chunk.ordinal, chunk.text) })),
      };
      return { next };
    },
  };
}

/**
 * What the index stage stores to recognise this source chunked this way again
 * (services/document-fingerprint.ts); none for a message from before the parse stage digested it.
 */
function fingerprintOf(sourceDigest: string | null | undefined, options: ChunkOptions): string | null {
  return sourceDigest ? documentFingerprint(sourceDigest, options) : null;
}
