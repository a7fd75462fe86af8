/**
 * The embedded default embedder: feature hashing of word unigrams and bigrams into a
 * fixed-size vector. Deterministic, needs no model download, and honest about what it is:
 * lexical similarity (shared words), not semantic similarity. Use Ollama for meaning.
 */
import type { EmbedderIdentity } from '../schema/domain.ts';
import type { Embedder } from './embedder.ts';

/** Options of the hashing embedder. */
export interface HashingEmbedderOptions {
  /** Vector dimension (HASHING_DIMENSION). */
  readonly dimension: number;
}

export const HASHING_EMBEDDER_NAME = 'local-hashing-lexical-v1';
const BIGRAM_WEIGHT = 0.5;

// Very common English words carry little signal and would make every text look alike.
const STOP_WORDS = new Set(
  ('a an and are as at be but by for from has have if in into is it its of on or that the their then there ' +
   'these this to was were will with not no can you your we our they he she them which what when where who how')
    .split(' '),
);

export class HashingEmbedder implements Embedder {
  private readonly dimension: number;

  constructor(options: HashingEmbedderOptions) {
    this.dimension = options.dimension;
    if (!Number.isInteger(this.dimension) || this.dimension < 8 || this.dimension > 4096) {
      throw new Error(`hashing embedder dimension must be an integer in 8..4096, got ${this.dimension}`);
    }
  }

  async identity(): Promise<EmbedderIdentity> {
    return { name: HASHING_EMBEDDER_NAME, dimension: this.dimension };
  }

  async embed(texts: readonly string[], signal?: AbortSignal): Promise<Float32Array[]> {
    signal?.throwIfAborted();
    return texts.map((text) => this.embedOne(text));
  }

  private embedOne(text: string): Float32Array {
    const vector = new Float32Array(this.dimension);
    const words = tokenize(text);
    const counts = new Map<string, number>();
    for (const word of words) counts.set(word, (counts.get(word) ?? 0) + 1);
    for (let i = 0; i + 1 < words.length; i++) {
      const bigram = `${words[i]} ${words[i + 1]}`;
      counts.set(bigram, (counts.get(bigram) ?? 0) + 1);
    }
    for (const [feature, count] of counts) {
      const hash = fnv1a(feature);
      // The sign bit keeps collisions from only ever adding up (Weinberger et al., 2009).
      const sign = hash & 0x80000000 ? -1 : 1;
      // Sub-linear term frequency: a word repeated ten times is not ten times as telling.
      // Bigrams add word order but are rarer matches; half weight keeps them from drowning words.
      const weight = (1 + Math.log(count)) * (feature.includes(' ') ? BIGRAM_WEIGHT : 1);
      vector[hash % this.dimension]! += sign * weight;
    }
    return normalize(vector);
  }
}

function tokenize(text: string): string[] {
  const words = text.toLowerCase().normalize('NFKC').match(/[\p{L}\p{N}]+/gu) ?? [];
  return words.filter((word) => !STOP_WORDS.has(word)).map(stem);
}

// A light suffix fold so "queues", "queued" and "queueing" meet "queue"; a full stemmer would be
// overkill for a lexical embedder, and folding too much merges unrelated words.
function stem(word: string): string {
  if (word.length > 5 && word.endsWith('ing')) return word.slice(0, -3);
  if (word.length > 4 && word.endsWith('ies')) return `${word.slice(0, -3)}y`;
  if (word.length > 4 && word.endsWith('ed')) return word.slice(0, -2);
  if (word.length > 3 && word.endsWith('s') && !word.endsWith('ss')) return word.slice(0, -1);
  return word;
}

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

function normalize(vector: Float32Array): Float32Array {
  let sum = 0;
  for (const value of vector) sum += value * value;
  const norm = Math.sqrt(sum);
  if (norm > 0) for (let i = 0; i < vector.length; i++) vector[i]! /= norm;
  return vector;
}
