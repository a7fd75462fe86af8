/**
 * Shared pieces of the message contracts between actors: the job reference and the
 * document header every message carries, and the one way to validate a message.
 */
import { z } from 'zod';
import { COLLECTION_NAME, PRIORITIES } from '../domain.ts';
import { ContractError } from '../contract-error.ts';

/** Which job and document a message belongs to. */
export const jobRefSchema = z.object({
  jobId: z.string().min(1).max(128),
  collection: z.string().regex(COLLECTION_NAME),
  documentId: z.string().min(1).max(256),
  priority: z.enum(PRIORITIES),
  /** Process the document even if it is unchanged since it was indexed (IngestInput.force). */
  force: z.boolean().optional(),
}).readonly();
export type JobRef = z.infer<typeof jobRefSchema>;

/** What is known about the document before it is indexed; written to the store by the index stage. */
export const documentHeaderSchema = z.object({
  title: z.string().nullable(),
  mimeType: z.string().nullable(),
  sourceUrl: z.string().nullable(),
  metadata: z.record(z.string(), z.unknown()),
  /** sha256 of the fetched bytes, set by the fetch stage. */
  contentHash: z.string().nullable(),
  /** What the chunks are made from, set by the parse stage (services/document-fingerprint.ts). */
  sourceDigest: z.string().max(128).nullable().optional(),
  /** The source digest with the chunk settings, set by the chunk stage and stored with the document. */
  fingerprint: z.string().max(128).nullable().optional(),
}).readonly();

/**
 * Validates `value` against `schema`, or throws a ContractError naming the first bad field
 * (a poison message: the runtime dead-letters it unchanged).
 */
export function parseContract<T>(schema: z.ZodType<T>, value: unknown, messageType: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue && issue.path.length > 0 ? issue.path.join('.') : messageType;
  throw new ContractError(field, `${issue?.message ?? 'invalid'} (in ${messageType})`);
}

/** The `type` and `version` every message starts with. */
export function header<T extends string>(type: T) {
  return { type: z.literal(type), version: z.literal(1) };
}
