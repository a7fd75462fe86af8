/** embed.request v1: chunks with their ids, to be embedded. */
import { z } from 'zod';
import { documentHeaderSchema, header, jobRefSchema, parseContract } from './contract.ts';

export const textChunkSchema = z.object({
  id: z.string().min(1),
  ordinal: z.number().int().min(0),
  text: z.string(),
  heading: z.string().nullable(),
}).readonly();

export const embedRequestSchema = z.object({
  ...header('embed.request'),
  job: jobRefSchema,
  document: documentHeaderSchema,
  chunks: z.array(textChunkSchema).readonly(),
}).readonly();

export type EmbedRequest = z.infer<typeof embedRequestSchema>;

export function parseEmbedRequest(value: unknown): EmbedRequest {
  return parseContract(embedRequestSchema, value, 'embed.request');
}
