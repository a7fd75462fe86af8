/**
 * MAX_REQUEST_BYTES_HELD: one budget of request bytes for every HTTP body and WebSocket message a
 * gateway is receiving or handling. Clients that each stay within MAX_BODY_BYTES but together
 * would pass the budget are refused at once, over either transport, while the requests already
 * held finish; once those are answered their bytes are free again.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { RawSocket } from './support/raw-websocket.ts';
import { startTestSystem, type TestSystem } from './support/test-system.ts';

const MAX_BODY_BYTES = 64 * 1024;
const BUDGET = 96 * 1024;
const INGEST = 'mutation($input: IngestInput!) { ingestDocument(input: $input) { id } }';

/** An ingest request body of exactly `size` bytes. */
function ingestBody(size: number, collection = 'held'): Buffer {
  const empty = JSON.stringify({ query: INGEST, variables: { input: { collection, text: '' } } });
  return Buffer.from(JSON.stringify({ query: INGEST, variables: { input: { collection, text: 'w'.repeat(size - empty.length) } } }));
}

interface Answer { readonly status: number; readonly retryAfter: string | undefined; readonly body: any }

/**
 * A POST whose body is sent in two parts, the second only when `finish` is called; with
 * `declared` false it goes chunked, without a Content-Length.
 */
function heldPost(url: string, body: Buffer, firstBytes: number, declared = true): { answer: Promise<Answer>; finish(): void } {
  const request = http.request(`${url}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(declared ? { 'content-length': body.length } : {}) },
  });
  const answer = new Promise<Answer>((resolve, reject) => {
    request.on('response', (response) => {
      let text = '';
      response.on('data', (part: Buffer) => { text += part.toString(); });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, retryAfter: response.headers['retry-after'], body: JSON.parse(text) }));
    });
    request.on('error', reject);
  });
  request.write(body.subarray(0, firstBytes));
  return { answer, finish: () => { request.end(body.subarray(firstBytes)); } };
}

async function post(url: string, body: Buffer): Promise<Answer> {
  const request = heldPost(url, body, body.length);
  request.finish();
  return request.answer;
}

/** Resolves once the gateway has taken `bytes` or more from its budget (bytes are read asynchronously). */
async function held(system: TestSystem, bytes: number): Promise<void> {
  // The budget is inside the gateway; what a client can see is a request that no longer fits.
  const probe = ingestBody(BUDGET - bytes + 1024, 'probe');
  for (let i = 0; i < 200; i++) {
    const answer = await post(system.url, probe);
    if (answer.status === 503) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`the gateway never held ${bytes} bytes`);
}

function assertRefused(answer: Answer): void {
  assert.equal(answer.status, 503, JSON.stringify(answer.body).slice(0, 300));
  assert.equal(answer.retryAfter, '1');
  const [error] = answer.body.errors;
  assert.equal(error.extensions.code, 'BACKPRESSURE');
  assert.equal(error.extensions.retryAfterSeconds, 1);
  assert.match(error.message, new RegExp(`of its MAX_REQUEST_BYTES_HELD ${BUDGET}, so \\d+ more do not fit`));
}

function assertAccepted(answer: Answer): void {
  assert.equal(answer.status, 200, JSON.stringify(answer.body).slice(0, 300));
  assert.ok(answer.body.data?.ingestDocument?.id, JSON.stringify(answer.body).slice(0, 300));
}

describe('Request bytes held at once (MAX_REQUEST_BYTES_HELD)', function () {
  this.timeout(60_000);
  let system: TestSystem;

  before(async () => {
    system = await startTestSystem({ actors: false, config: { maxBodyBytes: MAX_BODY_BYTES, maxRequestBytesHeld: BUDGET } });
  });
  after(async () => { await system?.stop(); });

  it('when HTTP bodies together pass the budget, should refuse the one that does not fit at once and accept the rest', async () => {
    const first = heldPost(system.url, ingestBody(60 * 1024), 1024);
    // The declared 60 KiB are taken before the body is read: 36 KiB are left.
    await held(system, 60 * 1024);
    const over = await post(system.url, ingestBody(40 * 1024));
    assertRefused(over);
    assertAccepted(await post(system.url, ingestBody(30 * 1024)));
    first.finish();
    assertAccepted(await first.answer);
    // Given back once answered: the refused request now fits.
    assertAccepted(await post(system.url, ingestBody(40 * 1024)));
    const jobs = (await system.store.listJobs({ collection: 'held', first: 10 })).jobs.length;
    assert.equal(jobs, 3, 'three ingests accepted, the refused one recorded nowhere');
  });

  it('when a body of unknown length grows past what is left, should refuse it while it streams', async () => {
    const first = heldPost(system.url, ingestBody(60 * 1024), 1024);
    await held(system, 60 * 1024);
    const chunked = heldPost(system.url, ingestBody(40 * 1024), 30 * 1024, false);
    chunked.finish();
    assertRefused(await chunked.answer);
    first.finish();
    assertAccepted(await first.answer);
    assertAccepted(await post(system.url, ingestBody(40 * 1024)));
  });

  it('when WebSocket messages and HTTP bodies together pass the budget, should close the socket with 1013 and refuse the body', async () => {
    // A socket holding 60 KiB of a message it has not finished: the gateway holds what it received.
    const holder = await RawSocket.connect(system.url);
    const late = await RawSocket.connect(system.url);
    try {
      assert.ok(!(await holder.init()).closed);
      assert.ok(!(await late.init()).closed);
      const message = JSON.stringify({ id: 'big', type: 'subscribe', payload: { query: INGEST, variables: { input: { collection: 'held', text: 'v'.repeat(60 * 1024) } } } });
      await sendFragment(holder, Buffer.from(message.slice(0, 60 * 1024)), false);
      await held(system, 60 * 1024);
      assertRefused(await post(system.url, ingestBody(40 * 1024)));
      // A whole 40 KiB message on another socket does not fit either: that socket is closed.
      late.subscribe('over', INGEST, { input: { collection: 'held', text: 'x'.repeat(40 * 1024) } });
      const closed = await late.closed;
      assert.equal(closed.code, 1013, `closed with ${closed.code} ${closed.reason}`);
      assert.match(closed.reason, /MAX_REQUEST_BYTES_HELD/);
      assert.ok(!late.received.some((received) => received.id === 'over'), 'the refused message ran nothing');
      // The holder finishes its message: it runs, and its bytes are free once it has.
      await sendFragment(holder, Buffer.from(message.slice(60 * 1024)), true);
      const result = await holder.result('big');
      assert.ok(!result.closed && result.data?.ingestDocument.id, JSON.stringify(result).slice(0, 300));
      assertAccepted(await post(system.url, ingestBody(40 * 1024)));
    } finally {
      holder.close();
      late.close();
    }
  });

  it('when a WebSocket frame header declares more than is left, should take its bytes before they arrive', async () => {
    const socket = await RawSocket.connect(system.url);
    try {
      assert.ok(!(await socket.init()).closed);
      // One masked text frame declaring 60 KiB, of which 1 KiB is sent: the header alone takes them.
      const raw = (socket.socket as unknown as { _socket: import('node:net').Socket })._socket;
      const header = Buffer.from([0x81, 0x80 | 126, (60 * 1024) >> 8, (60 * 1024) & 0xff, 0, 0, 0, 0]);
      raw.write(Buffer.concat([header, Buffer.alloc(1024, ' ')]));
      await held(system, 60 * 1024);
      assertRefused(await post(system.url, ingestBody(40 * 1024)));
    } finally {
      socket.close();
      await socket.closed;
    }
    assertAccepted(await post(system.url, ingestBody(40 * 1024)));
  });

  it('when a socket sends pings beside its messages, should give a handled message\'s bytes back at once', async () => {
    const socket = await RawSocket.connect(system.url);
    try {
      assert.ok(!(await socket.init()).closed);
      socket.socket.ping('are you there');
      socket.subscribe('first', INGEST, { input: { collection: 'held', text: 'p'.repeat(40 * 1024) } });
      const result = await socket.result('first');
      assert.ok(!result.closed && result.data?.ingestDocument.id, JSON.stringify(result).slice(0, 300));
      // The message was handled: its 40 KiB are free, so 60 KiB fit beside nothing.
      assertAccepted(await post(system.url, ingestBody(60 * 1024)));
    } finally {
      socket.close();
    }
  });

  it('when sockets close halfway through a message or a body, should give their bytes back', async () => {
    const socket = await RawSocket.connect(system.url);
    assert.ok(!(await socket.init()).closed);
    await sendFragment(socket, Buffer.alloc(50 * 1024, 'a'), false);
    await held(system, 50 * 1024);
    socket.close();
    await socket.closed;
    const request = http.request(system.url, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': 60 * 1024 } });
    request.on('error', () => {});
    request.write(Buffer.alloc(1024, ' '));
    await held(system, 60 * 1024);
    request.destroy();
    // Both given back: 90 KiB fit again, held by two bodies at once.
    const a = heldPost(system.url, ingestBody(45 * 1024), 1024);
    const b = heldPost(system.url, ingestBody(45 * 1024), 1024);
    await held(system, 90 * 1024);
    a.finish();
    b.finish();
    assertAccepted(await a.answer);
    assertAccepted(await b.answer);
  });
});

function sendFragment(socket: RawSocket, data: Buffer, fin: boolean): Promise<void> {
  return new Promise((resolve) => socket.socket.send(data, { fin, binary: false }, () => resolve()));
}
