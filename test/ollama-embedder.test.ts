import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ollamaOptions } from '../config/components.ts';
import { defaultConfig, readConfig } from '../config/config.ts';
import { OllamaEmbedder, type OllamaEmbedderOptions } from '../embedders/ollama-embedder.ts';
import { PermanentError, RetryableError } from '../messaging/errors.ts';

/** A request the fake Ollama received. */
interface SeenRequest {
  readonly path: string;
  readonly body: { model: string; input: string | string[] };
}

type Reply = (request: SeenRequest, res: ServerResponse) => void;

/** A local server speaking Ollama's `/api/embed`; `reply` decides each answer. */
async function fakeOllama(reply: Reply): Promise<{ host: string; seen: SeenRequest[]; close: () => Promise<void> }> {
  const seen: SeenRequest[] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = { path: req.url ?? '', body: JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') };
      seen.push(request);
      reply(request, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `http://127.0.0.1:${port}`,
    seen,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

/** Deterministic, deliberately unnormalised vectors: [length, index + 1, 3]. */
function embedAnswer(request: SeenRequest, res: ServerResponse): void {
  const input = Array.isArray(request.body.input) ? request.body.input : [request.body.input];
  json(res, 200, { model: request.body.model, embeddings: input.map((text, i) => [text.length, i + 1, 3]) });
}

function norm(vector: Float32Array): number {
  return Math.hypot(...vector);
}

/** An embedder with the configuration's defaults but for what a test sets. */
function ollama(options: Partial<OllamaEmbedderOptions> & { host: string }): OllamaEmbedder {
  return new OllamaEmbedder({ ...ollamaOptions(defaultConfig()), ...options });
}

describe('OllamaEmbedder against a local server speaking the embed API', function () {
  this.timeout(20_000);
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });

  async function start(reply: Reply) {
    const server = await fakeOllama(reply);
    closers.push(server.close);
    return server;
  }

  it('when embedding more texts than a batch, should send batched /api/embed requests with the model', async () => {
    const server = await start(embedAnswer);
    const embedder = ollama({ host: server.host, model: 'tiny-embed', batchSize: 2 });
    const texts = ['alpha', 'be', 'gamma ray', 'd', 'epsilon'];
    const vectors = await embedder.embed(texts);
    assert.deepEqual(server.seen.map((request) => request.path), ['/api/embed', '/api/embed', '/api/embed']);
    assert.deepEqual(server.seen.map((request) => request.body.model), ['tiny-embed', 'tiny-embed', 'tiny-embed']);
    assert.deepEqual(server.seen.map((request) => request.body.input), [['alpha', 'be'], ['gamma ray', 'd'], ['epsilon']]);
    assert.equal(vectors.length, texts.length);
    // Each vector is the server's answer scaled to unit length, in input order.
    texts.forEach((text, i) => {
      const raw = [text.length, (i % 2) + 1, 3];
      const length = Math.hypot(...raw);
      assert.ok(Math.abs(norm(vectors[i]!) - 1) < 1e-6);
      raw.forEach((value, d) => assert.ok(Math.abs(vectors[i]![d]! - value / length) < 1e-6));
    });
  });

  it('when asked for its identity, should probe once, learn the dimension and name the model', async () => {
    const server = await start((request, res) => {
      const input = Array.isArray(request.body.input) ? request.body.input : [request.body.input];
      json(res, 200, { embeddings: input.map(() => [1, 2, 3, 4, 5]) });
    });
    const embedder = ollama({ host: server.host, model: 'five-dims' });
    const [first, second] = await Promise.all([embedder.identity(), embedder.identity()]);
    assert.deepEqual(first, { name: 'ollama/five-dims', dimension: 5 });
    assert.deepEqual(second, first);
    assert.deepEqual(await embedder.identity(), first);
    assert.equal(server.seen.length, 1, 'one probe shared by concurrent callers and cached');
  });

  it('when built from the default configuration, should use nomic-embed-text', async () => {
    const server = await start(embedAnswer);
    await new OllamaEmbedder(ollamaOptions(defaultConfig({ ollamaHost: server.host }))).embed(['x']);
    assert.equal(server.seen[0]?.body.model, 'nomic-embed-text');
  });

  it('when the model is not pulled, should fail permanently naming `ollama pull <model>`', async () => {
    const server = await start((request, res) =>
      json(res, 404, { error: `model "${request.body.model}" not found, try pulling it first` }));
    const embedder = ollama({ host: server.host, model: 'missing-model' });
    await assert.rejects(embedder.embed(['x']), (error: unknown) =>
      error instanceof PermanentError && error.message.includes('ollama pull missing-model'));
    await assert.rejects(embedder.identity(), PermanentError);
  });

  it('when OLLAMA_HOST is given with Ollama\'s /api path, should still call /api/embed', async () => {
    const server = await start(embedAnswer);
    await ollama({ host: `${server.host}/api/` }).embed(['x']);
    assert.deepEqual(server.seen.map((request) => request.path), ['/api/embed']);
  });

  it('when OLLAMA_BATCH_SIZE is past what the embed stage hands over at once (64), should refuse it naming the range', () => {
    assert.throws(() => readConfig({ OLLAMA_BATCH_SIZE: '65' }), /OLLAMA_BATCH_SIZE must be an integer in 1\.\.64, got "65"/);
    assert.equal(readConfig({ OLLAMA_BATCH_SIZE: '64' }).ollamaBatchSize, 64);
  });

  it('when the server answers 503 or 429, should fail with a retryable error', async () => {
    for (const status of [503, 429]) {
      const server = await start((_request, res) => json(res, status, { error: 'server busy' }));
      const embedder = ollama({ host: server.host });
      await assert.rejects(embedder.embed(['x']), (error: unknown) =>
        error instanceof RetryableError && error.message.includes(String(status)));
    }
  });

  it('when the server rejects the input (400 with a bad-input message), should fail permanently with its message', async () => {
    const server = await start((_request, res) => json(res, 400, { error: 'invalid input type' }));
    await assert.rejects(ollama({ host: server.host }).embed(['x']), (error: unknown) =>
      error instanceof PermanentError && error.message.includes('invalid input type'));
  });

  it('when the server answers 400 for a crashed model runner, should fail with a retryable error', async () => {
    // Ollama 0.13.3 on answers 400 for any embedding failure without a status of its own.
    const server = await start((_request, res) => json(res, 400, { error: 'do embedding request: Post "http://127.0.0.1:40123/embedding": EOF' }));
    await assert.rejects(ollama({ host: server.host }).embed(['x']), (error: unknown) =>
      error instanceof RetryableError && error.message.includes('do embedding request'));
  });

  it('when a text is longer than the model\'s context, should embed the longest half that fits and the others whole, in order', async () => {
    const CONTEXT = 40;
    const server = await start((request, res) => {
      const input = Array.isArray(request.body.input) ? request.body.input : [request.body.input];
      if (input.some((text) => text.length > CONTEXT)) json(res, 400, { error: 'the input length exceeds the context length' });
      else embedAnswer(request, res);
    });
    const long = 'abcdefghij'.repeat(15); // 150 characters: 75, then 37 fits
    const vectors = await ollama({ host: server.host }).embed(['short one', long, 'short two']);
    assert.equal(vectors.length, 3);
    // embedAnswer's first component is the length of the text embedded: the whole short ones, 37 of the long one.
    const lengthOf = (vector: Float32Array) => Math.round(vector[0]! / vector[2]! * 3);
    assert.deepEqual(vectors.map(lengthOf), [9, 37, 9]);
    const oneByOne = server.seen.slice(1).map((request) => request.body.input);
    assert.deepEqual(oneByOne, [['short one'], [long], [long.slice(0, 75)], [long.slice(0, 37)], ['short two']]);
  });

  it('when a text of one character is still too long, should fail permanently', async () => {
    const server = await start((_request, res) => json(res, 400, { error: 'the input length exceeds the context length' }));
    await assert.rejects(ollama({ host: server.host }).embed(['xy']), (error: unknown) => error instanceof PermanentError);
    assert.deepEqual(server.seen.map((request) => request.body.input), [['xy'], ['x']]);
  });

  it('when two callers wait for the dimension probe and one cancels, should fail only that one', async () => {
    let answer: (() => void) | undefined;
    const server = await start((request, res) => { answer = () => embedAnswer(request, res); });
    const embedder = ollama({ host: server.host });
    const controller = new AbortController();
    const reason = new Error('job cancelled');
    const first = embedder.identity(controller.signal);
    const second = embedder.identity();
    while (answer === undefined) await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort(reason);
    await assert.rejects(first, (error: unknown) => error === reason);
    answer();
    assert.deepEqual(await second, { name: `ollama/${embedder.model}`, dimension: 3 });
    assert.equal(server.seen.length, 1, 'one probe for both');
  });

  it('when nothing listens at the host, should fail with a retryable error naming the host', async () => {
    const server = await start(embedAnswer);
    const { host } = server;
    await server.close();
    closers.pop();
    await assert.rejects(ollama({ host }).embed(['x']), (error: unknown) =>
      error instanceof RetryableError && error.message.includes(host));
  });

  it('when the server does not answer in time, should abort the call and fail with a retryable error', async () => {
    const server = await start(() => { /* never answers */ });
    const embedder = ollama({ host: server.host, timeoutMs: 200 });
    const started = Date.now();
    await assert.rejects(embedder.embed(['x']), (error: unknown) =>
      error instanceof RetryableError && /200 ms/.test(error.message));
    assert.ok(Date.now() - started < 5000, 'aborted near the timeout');
  });

  it('when the caller aborts, should stop with the caller\'s reason rather than a retryable error', async () => {
    const server = await start(() => { /* never answers */ });
    const controller = new AbortController();
    const reason = new Error('job cancelled');
    setTimeout(() => controller.abort(reason), 50);
    await assert.rejects(ollama({ host: server.host }).embed(['x'], controller.signal), (error: unknown) => error === reason);
  });
});

describe('OllamaEmbedder against a real Ollama', function () {
  this.timeout(120_000);
  const host = process.env.OLLAMA_HOST;
  const model = process.env.OLLAMA_MODEL ?? defaultConfig().ollamaModel;

  before(function () {
    if (!host) {
      console.log('    Ollama embedder (real server): skipped — set OLLAMA_HOST (and OLLAMA_MODEL, pulled) to run it');
      this.skip();
    }
  });

  it('when embedding related and unrelated texts, should return unit vectors that rank the related one higher', async () => {
    const embedder = ollama({ host: host!, model });
    const identity = await embedder.identity();
    assert.ok(identity.dimension > 0);
    const [query, related, unrelated] = await embedder.embed([
      'How do I bake bread at home?', 'A simple recipe for baking homemade bread.', 'Quarterly tax filing deadlines for companies.',
    ]);
    for (const vector of [query!, related!, unrelated!]) {
      assert.equal(vector.length, identity.dimension);
      assert.ok(Math.abs(norm(vector) - 1) < 1e-4);
    }
    const dot = (a: Float32Array, b: Float32Array) => a.reduce((sum, value, i) => sum + value * b[i]!, 0);
    assert.ok(dot(query!, related!) > dot(query!, unrelated!));
  });
});
