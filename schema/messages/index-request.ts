/**
 * index.request v1: embedded chunks to write. Vectors travel as base64 of little-endian
 * float32 (a quarter of the size of JSON numbers).
 */
import { z } from 'zod';
import { documentHeaderSchema, header, jobRefSchema, parseContract } from './contract.ts';
import { textChunkSchema } from './embed-request.ts';

export const indexRequestSchema = z.object({
  ...header('index.request'),
  job: jobRefSchema,
  document: documentHeaderSchema,
  embedder: z.object({ name: z.string().min(1), dimension: z.number().int().positive() }).readonly(),
  // An extended object, not an intersection: zod parses an intersection's sides apart and merges
  // them, a third slower on every index message (issue 15).
  chunks: z.array(textChunkSchema.unwrap().extend({ vectorBase64: z.string() }).readonly()).readonly(),
}).readonly();

export type IndexRequestMessage = z.infer<typeof indexRequestSchema>;

export function parseIndexRequest(value: unknown): IndexRequestMessage {
  return parseContract(indexRequestSchema, value, 'index.request');
}

export function encodeVector(vector: Float32Array): string {
  return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString('base64');
}

export function decodeVector(base64: string): Float32Array {
  const bytes = Buffer.from(base64, 'base64');
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return new Float32Array(copy.buffer);
}
