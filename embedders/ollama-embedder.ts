/**
 * The production embedder: Ollama's batch `/api/embed` through the `ollama` client.
 * The dimension is whatever the model answers with, learned once and cached; vectors are
 * L2-normalised so cosine similarity is comparable with every other embedder's output.
 *
 * Failures are classified for the actor runtime: a model that is not pulled (or input Ollama
 * rejects) can never succeed by retrying → PermanentError; a server that is down, overloaded
 * (429, 5xx) or too slow → RetryableError. Ollama (0.13.3 on) also answers 400 for a model runner
 * that crashed or ran out of memory, so a 400 is permanent only with one of its bad-input messages.
 * A text longer than the model's context is embedded by its longest prefix that fits, as Ollama's
 * own truncation would (which some versions ignore, answering 400 instead).
 */
import { Ollama } from 'ollama';
import type { EmbedderIdentity } from '../schema/domain.ts';
import { PermanentError, RetryableError } from '../messaging/errors.ts';
import { untilAborted } from '../messaging/until-aborted.ts';
import type { Embedder } from './embedder.ts';

/** Options of the Ollama embedder. */
export interface OllamaEmbedderOptions {
  /** Ollama's base URL, e.g. http://127.0.0.1:11434. */
  readonly host: string;
  /** Embedding model (OLLAMA_MODEL). */
  readonly model: string;
  /** Longest one `/api/embed` call may take before it is aborted and retried later, in ms (OLLAMA_TIMEOUT_MS). */
  readonly timeoutMs: number;
  /** Texts per `/api/embed` call (OLLAMA_BATCH_SIZE). */
  readonly batchSize: number;
}

const PROBE_TEXT = 'dimension probe';

/** Ollama's 400 answers for input that no retry can fix; any other 400 is retried. */
const BAD_INPUT = /input length exceeds the context length|invalid input type|missing request body|does not support/i;
const CONTEXT_LENGTH = /input length exceeds the context length/i;

/** The input of one call was longer than the model's context. */
class ContextLengthError extends PermanentError {}

export class OllamaEmbedder implements Embedder {
  readonly model: string;
  private readonly host: string;
  private readonly timeoutMs: number;
  private readonly batchSize: number;
  private dimension: number | undefined;
  private probe: Promise<EmbedderIdentity> | undefined;

  constructor(options: OllamaEmbedderOptions) {
    // The client adds /api/… itself: a host copied with Ollama's /api path would answer 404 to
    // every call, which reads as a model not pulled.
    this.host = options.host.replace(/\/+$/, '').replace(/\/api$/, '');
    this.model = options.model;
    this.timeoutMs = options.timeoutMs;
    this.batchSize = options.batchSize;
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1) {
      throw new Error(`Ollama batchSize must be a positive integer, got ${this.batchSize}`);
    }
    if (!(this.timeoutMs > 0)) throw new Error(`Ollama timeoutMs must be positive, got ${this.timeoutMs}`);
  }

  /** The model's name and dimension; the first call asks Ollama once, later calls use the cache. */
  async identity(signal?: AbortSignal): Promise<EmbedderIdentity> {
    if (this.dimension !== undefined) return this.currentIdentity(this.dimension);
    // One probe shared by concurrent callers, bound by its timeout alone: one caller's cancel must
    // not fail the others. Each caller stops waiting on its own signal. Forgotten on failure.
    this.probe ??= this.embed([PROBE_TEXT])
      .then(([vector]) => this.currentIdentity(vector!.length))
      .finally(() => { this.probe = undefined; });
    return signal === undefined ? this.probe : untilAborted(this.probe, signal);
  }

  async embed(texts: readonly string[], signal?: AbortSignal): Promise<Float32Array[]> {
    const vectors: Float32Array[] = [];
    for (let start = 0; start < texts.length; start += this.batchSize) {
      const batch = texts.slice(start, start + this.batchSize);
      const embeddings = await this.embedFitting(batch, signal);
      if (embeddings.length !== batch.length) {
        throw new RetryableError(`Ollama returned ${embeddings.length} embeddings for ${batch.length} inputs (model ${this.model})`);
      }
      for (const embedding of embeddings) vectors.push(this.checkDimension(normalise(embedding)));
    }
    return vectors;
  }

  private currentIdentity(dimension: number): EmbedderIdentity {
    return { name: `ollama/${this.model}`, dimension };
  }

  private checkDimension(vector: Float32Array): Float32Array {
    if (vector.length === 0) throw new PermanentError(`Ollama model ${this.model} returned an empty embedding: is it an embedding model?`);
    this.dimension ??= vector.length;
    if (vector.length !== this.dimension) {
      throw new PermanentError(
        `Ollama model ${this.model} answered with ${vector.length} dimensions after ${this.dimension}: ` +
        'the model changed under the same name; restart the process and index into a new collection',
      );
    }
    return vector;
  }

  /**
   * A batch whose input exceeds the model's context is embedded text by text, and a text that
   * alone exceeds it by its first half, again and again until it fits: what Ollama's truncation
   * does, where the version at hand refuses instead (ollama/ollama#14186). The chunk keeps its
   * whole text; only its vector is made from the part that fits.
   */
  private async embedFitting(input: string[], signal?: AbortSignal): Promise<number[][]> {
    try {
      return await this.embedBatch(input, signal);
    } catch (error) {
      if (!(error instanceof ContextLengthError)) throw error;
      if (input.length > 1) {
        const embeddings: number[][] = [];
        for (const text of input) embeddings.push(...await this.embedFitting([text], signal));
        return embeddings;
      }
      const characters = [...input[0]!];
      if (characters.length < 2) throw error;
      return this.embedFitting([characters.slice(0, Math.floor(characters.length / 2)).join('')], signal);
    }
  }

  private async embedBatch(input: string[], signal?: AbortSignal): Promise<number[][]> {
    signal?.throwIfAborted();
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const combined = signal === undefined ? timeout : AbortSignal.any([signal, timeout]);
    // The client's abort() reaches only streamed requests, so the signal goes in through fetch.
    const client = new Ollama({
      host: this.host,
      fetch: (url, init) => fetch(url, { ...init, signal: combined }),
    });
    try {
      const response = await client.embed({ model: this.model, input });
      return response.embeddings;
    } catch (error) {
      if (signal?.aborted) throw signal.reason ?? error;
      if (timeout.aborted) {
        throw new RetryableError(
          `Ollama at ${this.host} did not answer within ${this.timeoutMs} ms (OLLAMA_TIMEOUT_MS) for ${input.length} texts`,
          { cause: error },
        );
      }
      throw this.classify(error);
    }
  }

  private classify(error: unknown): Error {
    const status = (error as { status_code?: unknown } | null)?.status_code;
    const message = error instanceof Error ? error.message : String(error);
    if (typeof status === 'number') {
      if (status === 404 || /model .*not found/i.test(message)) {
        return new PermanentError(
          `Ollama model "${this.model}" is not available at ${this.host}: run \`ollama pull ${this.model}\` (${message})`,
          { cause: error },
        );
      }
      if (status === 429 || status >= 500) {
        return new RetryableError(`Ollama at ${this.host} is unavailable or overloaded (HTTP ${status}): ${message}`, { cause: error });
      }
      if (status === 400 && CONTEXT_LENGTH.test(message)) {
        return new ContextLengthError(`a text is longer than model ${this.model}'s context: ${message}`, { cause: error });
      }
      if (status === 400 && !BAD_INPUT.test(message)) {
        return new RetryableError(`Ollama could not embed with model ${this.model} (HTTP 400, retried: a crashed or out-of-memory model runner answers so): ${message}`, { cause: error });
      }
      return new PermanentError(`Ollama rejected the embed request (HTTP ${status}, model ${this.model}): ${message}`, { cause: error });
    }
    return new RetryableError(
      `cannot reach Ollama at ${this.host} (OLLAMA_HOST): ${message}; start it with \`ollama serve\``,
      { cause: error },
    );
  }
}

/** Unit length, so cosine similarity is a dot product; a zero vector stays zero. */
function normalise(values: readonly number[]): Float32Array {
  const vector = Float32Array.from(values);
  let sum = 0;
  for (const value of vector) sum += value * value;
  const norm = Math.sqrt(sum);
  if (norm > 0) for (let i = 0; i < vector.length; i++) vector[i] = vector[i]! / norm;
  return vector;
}

