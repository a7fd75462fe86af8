/** parse.request v1: raw bytes and their media type, to be turned into readable sections. */
import { z } from 'zod';
import { documentHeaderSchema, header, jobRefSchema, parseContract } from './contract.ts';

export const parseRequestSchema = z.object({
  ...header('parse.request'),
  job: jobRefSchema,
  document: documentHeaderSchema,
  mimeType: z.string().min(1),
  contentBase64: z.string(),
}).readonly();

export type ParseRequest = z.infer<typeof parseRequestSchema>;

export function parseParseRequest(value: unknown): ParseRequest {
  return parseContract(parseRequestSchema, value, 'parse.request');
}
