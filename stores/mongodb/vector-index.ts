/**
 * The Atlas Vector Search index definitions the store creates and maintains itself: one per
 * embedder dimension on the `chunks` collection, each over its own vector path
 * (`embeddings.d<dimension>`), so collections built with different models never share an index
 * whose `numDimensions` fits only one of them. Filter fields: collection, documentId and the
 * metadata paths seen so far. Pure functions only; index-sync.ts talks to the server.
 * https://www.mongodb.com/docs/atlas/atlas-vector-search/vector-search-type/
 */
import type { Document } from 'mongodb';

/** Atlas refuses a vector field of more dimensions (`numDimensions` ≤ 8192). */
export const MAX_DIMENSIONS = 8192;

/**
 * Automatic quantization of the stored float vectors inside the index: `scalar` (int8) or
 * `binary` (1 bit, re-scored with the full vectors). Atlas recommends it past 100,000 vectors.
 * https://www.mongodb.com/docs/atlas/atlas-vector-search/vector-quantization/
 */
export type Quantization = 'none' | 'scalar' | 'binary';
export const QUANTIZATIONS: readonly Quantization[] = ['none', 'scalar', 'binary'];

/** Filter fields every definition declares: the search always filters on them. */
export const BASE_FILTER_PATHS: readonly string[] = ['collection', 'documentId'];

/** Thrown when an embedder's dimension does not fit an Atlas vector index; retrying cannot help. */
export class VectorDimensionError extends Error {
  readonly nonRetryable = true;

  constructor(
    readonly dimension: number,
    message = `embedder dimension: ${dimension} does not fit an Atlas vector index (numDimensions 1 to ${MAX_DIMENSIONS}): ` +
      'use an embedding model with fewer dimensions',
  ) {
    super(message);
    this.name = 'VectorDimensionError';
  }
}

/**
 * Refuses a dimension the index could not be built for: past MAX_DIMENSIONS, or, with binary
 * quantization, not a multiple of 8 (Atlas: "numDimensions must be a multiple of 8"). Checked before
 * anything is written: otherwise the jobs succeed, and every search of the collection fails later.
 */
export function assertDimension(dimension: number, quantization: Quantization = 'none'): void {
  if (!Number.isInteger(dimension) || dimension < 1 || dimension > MAX_DIMENSIONS) throw new VectorDimensionError(dimension);
  if (quantization === 'binary' && dimension % 8 !== 0) {
    throw new VectorDimensionError(dimension, `embedder dimension: ${dimension} is not a multiple of 8, which binary quantization ` +
      'needs (MONGODB_QUANTIZATION=binary): use scalar or none, or an embedding model whose dimension is a multiple of 8');
  }
}

export function vectorIndexName(dimension: number): string {
  return `rag_vectors_${dimension}`;
}

export function vectorPath(dimension: number): string {
  return `embeddings.d${dimension}`;
}

/** The index definition for one dimension: cosine similarity, filters first-class. */
export function vectorIndexDefinition(dimension: number, metadataPaths: Iterable<string>, quantization: Quantization = 'none'): Document {
  assertDimension(dimension, quantization);
  const vector: Document = { type: 'vector', path: vectorPath(dimension), numDimensions: dimension, similarity: 'cosine' };
  if (quantization !== 'none') vector.quantization = quantization;
  return {
    fields: [
      vector,
      ...[...new Set([...BASE_FILTER_PATHS, ...metadataPaths])].sort().map((path) => ({ type: 'filter', path })),
    ],
  };
}

function fieldsOf(definition: Document | undefined | null): Document[] {
  return Array.isArray(definition?.fields) ? (definition.fields as Document[]) : [];
}

/** The filter paths a definition declares. */
export function filterPaths(definition: Document | undefined | null): Set<string> {
  return new Set(fieldsOf(definition).filter((field) => field.type === 'filter').map((field) => String(field.path)));
}

/** True when `definition` declares every one of `paths` as a filter field. */
export function declares(definition: Document | undefined | null, paths: Iterable<string>): boolean {
  const declared = filterPaths(definition);
  return [...paths].every((path) => declared.has(path));
}

/**
 * What to update an index to: the wanted vector field and the union of both filter sets. Another
 * process may have added paths this one's registry snapshot lacks; a union never drops them.
 */
export function unionDefinition(live: Document | undefined | null, wanted: Document): Document {
  const vector = fieldsOf(wanted).filter((field) => field.type !== 'filter');
  const paths = new Set([...filterPaths(live), ...filterPaths(wanted)]);
  return { fields: [...vector, ...[...paths].sort().map((path) => ({ type: 'filter', path }))] };
}

/** A comparable fingerprint of a definition (Atlas may echo it back with keys in another order). */
export function definitionKey(definition: Document | undefined | null): string {
  return fieldsOf(definition)
    .map((field) => [field.type, field.path, field.numDimensions ?? '', field.similarity ?? '', field.quantization ?? 'none'].join(':'))
    .sort()
    .join('|');
}
