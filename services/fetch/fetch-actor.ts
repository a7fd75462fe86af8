/**
 * The fetch actor: obtains a document's bytes from an http(s) URL, fetched safely, and records
 * their media type and hash for the stages after it. The gateway sends inline content straight to
 * the parse stage; an inline fetch.request (from an older gateway, a resume point or a dead
 * letter) is still turned into the same parse.request the gateway would have sent.
 */
import { parseFetchRequest, type FetchRequest } from '../../schema/messages/fetch-request.ts';
import { inlineParseRequest, parseRequestOf } from '../../schema/messages/parse-request-builder.ts';
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
      if (source.kind === 'inline') return { next: inlineParseRequest(message.job, document, Buffer.from(source.contentBase64, 'base64')) };
      const fetched = await inSpan({ name: SPAN.fetchUrl, attributes: { [ATTR.url]: source.url } }, () => safeFetch(source.url, options, context.signal));
      // The response's type is passed through when it is one we parse. A generic or unknown one
      // (application/octet-stream, application/zip for a DOCX) gives way to detection from the
      // content, and is kept only when detection finds nothing, so the failure names it.
      const served = fetched.mimeType === null ? null : normalizeMimeType(fetched.mimeType);
      const mimeType = document.mimeType ?? (served !== null && isSupportedMimeType(served)
        ? served
        : detectMimeType(fetched.bytes, fetched.finalUrl) ?? (served === 'application/octet-stream' ? null : served));
      return { next: parseRequestOf(message.job, document, fetched.bytes, { mimeType, sourceUrl: fetched.finalUrl }) };
    },
  };
}
