/** fetch.request v1: the gateway asks the fetch actor to obtain a document's bytes. */
import { z } from 'zod';
import { documentHeaderSchema, header, jobRefSchema, parseContract } from './contract.ts';

const sourceSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('url'), url: z.string().url() }).readonly(),
  z.object({ kind: z.literal('inline'), contentBase64: z.string() }).readonly(),
]);

export const fetchRequestSchema = z.object({
  ...header('fetch.request'),
  job: jobRefSchema,
  document: documentHeaderSchema,
  source: sourceSchema,
}).readonly();

export type FetchRequest = z.infer<typeof fetchRequestSchema>;

export function parseFetchRequest(value: unknown): FetchRequest {
  return parseContract(fetchRequestSchema, value, 'fetch.request');
}
