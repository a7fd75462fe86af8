/**
 * Validation of IngestInput: turns what a client sent into a plan the gateway can publish,
 * or a BAD_USER_INPUT error naming the field and the limit. Nothing is written before every
 * input of a call is valid.
 */
import { createHash } from 'node:crypto';
import { COLLECTION_NAME, MAX_METADATA_BYTES, MAX_TITLE_CHARACTERS, PRIORITIES, type Metadata, type Priority } from '../../schema/domain.ts';
import { detectMimeType } from '../../schema/mime-types.ts';
import { SUPPORTED_MIME_TYPES } from '../../schema/mime-types.ts';
import { badInput } from '../errors.ts';

/** IngestInput as received from GraphQL. */
export interface IngestInput {
  readonly collection: string;
  readonly text?: string | null;
  readonly url?: string | null;
  readonly contentBase64?: string | null;
  readonly mimeType?: string | null;
  readonly title?: string | null;
  readonly metadata?: unknown;
  readonly priority?: Priority | null;
  readonly documentId?: string | null;
  readonly force?: boolean | null;
}

/** A validated ingest request. */
export interface IngestPlan {
  readonly collection: string;
  readonly documentId: string;
  readonly priority: Priority;
  readonly title: string | null;
  readonly mimeType: string | null;
  readonly metadata: Metadata;
  /** Process the document even when it is unchanged since it was indexed. */
  readonly force: boolean;
  /**
   * A URL to fetch, or the bytes sent inline (decoded and hashed once here, published as they are
   * to the parse stage with that hash as their contentHash).
   */
  readonly source: { readonly kind: 'url'; readonly url: string } | { readonly kind: 'inline'; readonly bytes: Buffer; readonly sha256: string };
}

export interface IngestLimits {
  readonly maxDocumentBytes: number;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const MAX_DOCUMENT_ID = 256;

export function planIngest(input: IngestInput, limits: IngestLimits, field = 'input'): IngestPlan {
  if (!COLLECTION_NAME.test(input.collection)) {
    throw badInput(`${field}.collection`, `must match [a-z0-9_-]{1,64}, got "${input.collection.slice(0, 80)}"`);
  }
  const sources = (['text', 'url', 'contentBase64'] as const).filter((name) => input[name] !== undefined && input[name] !== null);
  if (sources.length !== 1) {
    throw badInput(field, `give exactly one of text, url or contentBase64 (got ${sources.length === 0 ? 'none' : sources.join(' and ')})`);
  }
  const mimeType = input.mimeType ? normalizeMime(input.mimeType, `${field}.mimeType`) : null;
  const title = input.title ?? null;
  if (title !== null && title.length > MAX_TITLE_CHARACTERS) throw badInput(`${field}.title`, `at most ${MAX_TITLE_CHARACTERS} characters`);
  const metadata = checkMetadata(input.metadata, `${field}.metadata`);
  const priority = input.priority ?? 'NORMAL';
  if (!PRIORITIES.includes(priority)) throw badInput(`${field}.priority`, `must be one of ${PRIORITIES.join(', ')}`);
  if (input.documentId !== undefined && input.documentId !== null) {
    if (input.documentId.length < 1 || input.documentId.length > MAX_DOCUMENT_ID) {
      throw badInput(`${field}.documentId`, `must be 1..${MAX_DOCUMENT_ID} characters`);
    }
  }

  let source: IngestPlan['source'];
  let identity: string;
  let detected: string | null = null;
  if (input.url !== undefined && input.url !== null) {
    source = { kind: 'url', url: checkUrl(input.url, `${field}.url`) };
    identity = `url\u0000${source.url}`;
  } else {
    let bytes: Buffer;
    if (input.text !== undefined && input.text !== null) {
      bytes = Buffer.from(input.text, 'utf8');
      checkSize(bytes.length, limits, `${field}.text`);
      detected = mimeType ?? 'text/plain';
    } else {
      const encoded = (input.contentBase64 ?? '').replace(/\s+/g, '');
      if (encoded.length === 0 || encoded.length % 4 !== 0 || !BASE64.test(encoded)) {
        throw badInput(`${field}.contentBase64`, 'is not valid base64 (RFC 4648, with padding)');
      }
      checkSize(Math.floor((encoded.length * 3) / 4), limits, `${field}.contentBase64`);
      bytes = Buffer.from(encoded, 'base64');
      detected = mimeType ?? detectMimeType(bytes, input.title ?? undefined);
      if (!detected) throw badInput(`${field}.mimeType`, `could not detect the type of the content: give one of ${SUPPORTED_MIME_TYPES.join(', ')}`);
    }
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    source = { kind: 'inline', bytes, sha256 };
    identity = `content\u0000${sha256}`;
  }
  const effectiveMime = mimeType ?? detected;
  if (effectiveMime && !SUPPORTED_MIME_TYPES.includes(effectiveMime)) {
    throw badInput(`${field}.mimeType`, `"${effectiveMime}" is not supported; supported: ${SUPPORTED_MIME_TYPES.join(', ')}`);
  }
  const documentId = input.documentId ?? createHash('sha256').update(`${input.collection}\u0000${identity}`).digest('hex').slice(0, 32);
  return { collection: input.collection, documentId, priority, title, mimeType: effectiveMime, metadata, force: input.force === true, source };
}

function normalizeMime(raw: string, field: string): string {
  const value = raw.split(';')[0]!.trim().toLowerCase();
  if (!/^[a-z0-9.+-]+\/[a-z0-9.+-]+$/.test(value)) throw badInput(field, `"${raw.slice(0, 80)}" is not a media type`);
  return value;
}

function checkUrl(raw: string, field: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw badInput(field, 'is not a valid absolute URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw badInput(field, `scheme ${url.protocol} is not allowed; use http or https`);
  if (raw.length > 2048) throw badInput(field, 'at most 2048 characters');
  return url.toString();
}

function checkSize(bytes: number, limits: IngestLimits, field: string): void {
  if (bytes > limits.maxDocumentBytes) {
    throw badInput(field, `document is ${bytes} bytes; the limit is ${limits.maxDocumentBytes} bytes (MAX_DOCUMENT_BYTES)`);
  }
}

function checkMetadata(value: unknown, field: string): Metadata {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw badInput(field, 'must be a JSON object');
  const size = Buffer.byteLength(JSON.stringify(value));
  if (size > MAX_METADATA_BYTES) throw badInput(field, `is ${size} bytes; the limit is ${MAX_METADATA_BYTES} bytes`);
  return value as Metadata;
}
