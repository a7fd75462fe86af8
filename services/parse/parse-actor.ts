/** The parse actor: turns bytes into readable sections under their headings. */
import type { ChunkRequest } from '../../schema/messages/chunk-request.ts';
import { parseParseRequest, type ParseRequest } from '../../schema/messages/parse-request.ts';
import type { StageActor, StageResult } from '../../messaging/actor-runtime.ts';
import type { Store } from '../../stores/store.ts';
import { documentFingerprint, sourceDigest, UNCHANGED_NOTE } from '../document-fingerprint.ts';
import type { ChunkOptions } from '../chunk/split-sections.ts';
import type { ParsePool } from './pool/parse-pool.ts';
import { documentMetadata } from './parsed-document.ts';

/**
 * Parses in `pool`'s worker processes, never in this event loop, so one document that is slow or
 * huge to parse cannot hold up the others: the runtime delivers up to its prefetch at once and
 * the pool parses as many as it has workers. First, a document indexed from the same source with
 * the `chunking` the chunk stage uses ends its job at once (services/document-fingerprint.ts),
 * unless the job was asked to `force` it.
 */
export function parseActor(pool: ParsePool, store: Store, chunking: ChunkOptions): StageActor<ParseRequest> {
  return {
    stage: 'PARSE',
    parse: parseParseRequest,
    jobOf: (message) => message.job,
    async handle(message, context) {
      const { contentHash } = message.document;
      const digest = contentHash === null ? null : sourceDigest({ ...message.document, contentHash });
      if (digest !== null && message.job.force !== true) {
        const unchanged = await finishIfUnchanged(store, message, documentFingerprint(digest, chunking));
        if (unchanged !== null) return unchanged;
      }
      const parsed = await pool.parse(Buffer.from(message.contentBase64, 'base64'), message.mimeType, context.signal);
      const next: ChunkRequest = {
        type: 'chunk.request',
        version: 1,
        job: message.job,
        // The client's title and metadata fields win over what the document says about itself.
        document: {
          ...message.document, title: message.document.title ?? parsed.title,
          metadata: documentMetadata(message.document.metadata, parsed.metadata), sourceDigest: digest,
        },
        sections: parsed.sections.map((section) => ({ headings: [...section.headings], text: section.text })),
      };
      return { next };
    },
  };
}

/** The job's end when its document is indexed with this fingerprint; null when it must be processed. */
async function finishIfUnchanged(store: Store, message: ParseRequest, fingerprint: string): Promise<StageResult | null> {
  // A read first: most documents are new or changed, and the check then takes no write lock.
  const stored = await store.getDocument(message.job.collection, message.job.documentId);
  if (stored?.status !== 'INDEXED' || stored.fingerprint !== fingerprint) return null;
  const outcome = await store.finishUnchanged(message.job.jobId, fingerprint);
  switch (outcome.kind) {
    case 'unchanged': return { done: outcome.job, note: UNCHANGED_NOTE };
    case 'finished': return { done: outcome.job };
    case 'changed': return null;
  }
}
