/**
 * The fetch actor: obtains a document's bytes (inline content, or an http(s) URL fetched
 * safely) and records their media type and hash for the stages after it.
 */
import { createHash } from 'node:crypto';
import { parseFetchRequest, type FetchRequest } from '../../schema/messages/fetch-request.ts';
import type { ParseRequest } from '../../schema/messages/parse-request.ts';
import { detectMimeType, isSupportedMimeType, normalizeMimeType } from '../../schema/mime-types.ts';
import { ATTR, SPAN } from '../../observability/attributes.ts';
import { inSpan } from '../../observability/tracing.ts';
import type { StageActor } from '../../messaging/actor-runtime.ts';
import { safeFetch, type FetchOptions } from './safe-fetch.ts';

export function fetchActor(options: FetchOptions): StageActor<FetchRequest> {
  return {
    stage: 'FETCH',
    parse: parseFetchRequest,
    jobOf: (message) => message.job,
    async handle(message, context) {
      const { document, source } = message;
      let bytes: Uint8Array;
      let mimeType = document.mimeType;
      let sourceUrl = document.sourceUrl;
      if (source.kind === 'inline') {
        bytes = Buffer.from(source.contentBase64, 'base64');
      } else {
        const fetched = await inSpan({ name: SPAN.fetchUrl, attributes: { [ATTR.url]: source.url } }, () => safeFetch(source.url, options, context.signal));
        bytes = fetched.bytes;
        // The response's type is passed through when it is one we parse. A generic or unknown one
        // (application/octet-stream, application/zip for a DOCX) gives way to detection from the
        // content, and is kept only when detection finds nothing, so the failure names it.
        const served = fetched.mimeType === null ? null : normalizeMimeType(fetched.mimeType);
        mimeType ??= served !== null && isSupportedMimeType(served)
          ? served
          : detectMimeType(bytes, fetched.finalUrl) ?? (served === 'application/octet-stream' ? null : served);
        sourceUrl = fetched.finalUrl;
      }
      mimeType ??= detectMimeType(bytes, sourceUrl ?? document.title ?? undefined) ?? 'text/plain';
      const next: ParseRequest = {
        type: 'parse.request',
        version: 1,
        job: message.job,
        document: { ...document, mimeType, sourceUrl, contentHash: createHash('sha256').update(bytes).digest('hex') },
        mimeType,
        contentBase64: Buffer.from(bytes).toString('base64'),
      };
      return { next };
    },
  };
}
