/** chunk.request v1: readable sections (text under a heading path), to be split into chunks. */
import { z } from 'zod';
import { documentHeaderSchema, header, jobRefSchema, parseContract } from './contract.ts';

export const chunkRequestSchema = z.object({
  ...header('chunk.request'),
  job: jobRefSchema,
  document: documentHeaderSchema,
  sections: z.array(z.object({ headings: z.array(z.string()).readonly(), text: z.string() }).readonly()).readonly(),
}).readonly();

export type ChunkRequest = z.infer<typeof chunkRequestSchema>;

export function parseChunkRequest(value: unknown): ChunkRequest {
  return parseContract(chunkRequestSchema, value, 'chunk.request');
}
