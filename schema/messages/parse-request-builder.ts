/**
 * The one way a document's bytes become a parse.request: its media type settled, its content
 * hashed, its bytes encoded. The fetch actor uses it for what it fetched, and the gateway for
 * inline content, which it publishes straight to the parse stage (issue 15): both give the same
 * message for the same input, whichever builds it.
 */
import { createHash } from 'node:crypto';
import { detectMimeType } from '../mime-types.ts';
import type { JobRef } from './contract.ts';
import type { ParseRequest } from './parse-request.ts';

type DocumentHeader = ParseRequest['document'];

/** Where the bytes came from and what is known of their type. */
export interface BytesOrigin {
  /** The type known before looking at the bytes (given by the client, or served with a URL); null to detect it. */
  readonly mimeType: string | null;
  /** The URL the bytes were read from (after redirects), or null for inline content. */
  readonly sourceUrl: string | null;
}

/**
 * The parse.request for `bytes`. A type not known is detected from the bytes and the URL or title,
 * and is plain text when detection finds nothing; contentHash is the sha256 of the bytes (hex),
 * computed here unless the caller already has it.
 */
export function parseRequestOf(
  job: JobRef, document: DocumentHeader, bytes: Uint8Array, origin: BytesOrigin, sha256 = createHash('sha256').update(bytes).digest('hex'),
): ParseRequest {
  const mimeType = origin.mimeType ?? detectMimeType(bytes, origin.sourceUrl ?? document.title ?? undefined) ?? 'text/plain';
  return {
    type: 'parse.request',
    version: 1,
    job,
    document: { ...document, mimeType, sourceUrl: origin.sourceUrl, contentHash: sha256 },
    mimeType,
    contentBase64: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64'),
  };
}

/** The parse.request for content sent inline: no URL, the document's own type if it has one. */
export function inlineParseRequest(job: JobRef, document: DocumentHeader, bytes: Uint8Array, sha256?: string): ParseRequest {
  return parseRequestOf(job, document, bytes, { mimeType: document.mimeType, sourceUrl: null }, sha256);
}
