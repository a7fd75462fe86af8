/**
 * A stand-in for an embedding box that is slow and has a fixed capacity (a GPU serving a model):
 * an HTTP server speaking Ollama's `POST /api/embed` ({model, input: string | string[]} →
 * {model, embeddings, …}, the shape the `ollama` client and embedders/ollama-embedder.ts use),
 * where every call takes `latencyMs` and at most `concurrency` calls are served at once; further
 * calls wait in arrival order, as requests queue in front of a GPU. Vectors are deterministic (a
 * hash of the text), `dimension` floats each, so any number of workers agree on every text.
 * Used by the slow-embedder bench scenario and its test, with EMBEDDER=ollama and OLLAMA_HOST.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** Options of the slow embedding server. */
export interface SlowEmbedServerOptions {
  /** Time every `/api/embed` call takes, whatever its number of texts, in ms. */
  readonly latencyMs: number;
  /** Calls served at once; the rest wait their turn. */
  readonly concurrency: number;
  /** Floats per vector. */
  readonly dimension: number;
  /** Port to listen on (default 0: any free port), always on 127.0.0.1. */
  readonly port?: number;
}

/** What the server saw, for the bench's report and the test's assertions. */
export interface SlowEmbedServerStats {
  readonly calls: number;
  readonly texts: number;
  /** Most calls being served at once: `concurrency` once enough clients called together. */
  readonly peakServing: number;
  /** Most calls waiting for a free slot at once. */
  readonly peakWaiting: number;
}

/** A running server. */
export interface SlowEmbedServer {
  /** Base URL for OLLAMA_HOST, e.g. http://127.0.0.1:41234. */
  readonly host: string;
  stats(): SlowEmbedServerStats;
  close(): Promise<void>;
}

export async function startSlowEmbedServer(options: SlowEmbedServerOptions): Promise<SlowEmbedServer> {
  let calls = 0;
  let texts = 0;
  let peakServing = 0;
  let peakWaiting = 0;
  // A counting semaphore with a FIFO of waiters: the slot a finished call frees goes to the oldest waiter.
  let serving = 0;
  const waiting: (() => void)[] = [];
  const acquire = async () => {
    if (serving < options.concurrency) serving += 1;
    else await new Promise<void>((resolve) => { waiting.push(resolve); peakWaiting = Math.max(peakWaiting, waiting.length); });
    peakServing = Math.max(peakServing, serving);
  };
  const release = () => {
    const next = waiting.shift();
    if (next) next(); else serving -= 1;
  };

  const embed = async (body: { model?: unknown; input?: unknown }, res: ServerResponse) => {
    const input = typeof body.input === 'string' ? [body.input] : body.input;
    if (typeof body.model !== 'string' || !Array.isArray(input) || !input.every((text) => typeof text === 'string')) {
      return json(res, 400, { error: 'model (string) and input (string or array of strings) are required' });
    }
    await acquire();
    try { await sleep(options.latencyMs); } finally { release(); }
    calls += 1;
    texts += input.length;
    json(res, 200, {
      model: body.model, embeddings: input.map((text: string) => vectorOf(text, options.dimension)),
      total_duration: options.latencyMs * 1e6, load_duration: 0, prompt_eval_count: input.length,
    });
  };

  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/api/embed') return json(res, 404, { error: `${req.method} ${req.url}: only POST /api/embed` });
      let body: { model?: unknown; input?: unknown };
      try { body = JSON.parse(Buffer.concat(chunks).toString('utf8')); } catch { return json(res, 400, { error: 'the body is not JSON' }); }
      void embed(body, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `http://127.0.0.1:${port}`,
    stats: () => ({ calls, texts, peakServing, peakWaiting }),
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

/** `dimension` floats in [-1, 1) drawn from SHA-256 of the text and a block counter. */
function vectorOf(text: string, dimension: number): number[] {
  const vector: number[] = [];
  for (let block = 0; vector.length < dimension; block++) {
    const digest = createHash('sha256').update(`${block}\0${text}`).digest();
    for (let i = 0; i + 2 <= digest.length && vector.length < dimension; i += 2) vector.push(digest.readInt16LE(i) / 32768);
  }
  return vector;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}
