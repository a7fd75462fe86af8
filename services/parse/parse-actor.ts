/** The parse actor: turns bytes into readable sections under their headings. */
import type { ChunkRequest } from '../../schema/messages/chunk-request.ts';
import { parseParseRequest, type ParseRequest } from '../../schema/messages/parse-request.ts';
import type { StageActor } from '../../messaging/actor-runtime.ts';
import type { ParsePool } from './pool/parse-pool.ts';

/**
 * Parses in `pool`'s worker processes, never in this event loop, so one document that is slow or
 * huge to parse cannot hold up the others: the runtime delivers up to its prefetch at once and
 * the pool parses as many as it has workers.
 */
export function parseActor(pool: ParsePool): StageActor<ParseRequest> {
  return {
    stage: 'PARSE',
    parse: parseParseRequest,
    jobOf: (message) => message.job,
    async handle(message, context) {
      const parsed = await pool.parse(Buffer.from(message.contentBase64, 'base64'), message.mimeType, context.signal);
      const next: ChunkRequest = {
        type: 'chunk.request',
        version: 1,
        job: message.job,
        document: { ...message.document, title: message.document.title ?? parsed.title },
        sections: parsed.sections.map((section) => ({ headings: [...section.headings], text: section.text })),
      };
      return { next };
    },
  };
}
