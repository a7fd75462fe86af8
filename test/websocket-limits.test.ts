/**
 * Hostile WebSocket clients (issue 12, findings 4 and 6): oversized messages before and after
 * connection_init, too many subscriptions on one socket or one key, and a reader that stops
 * reading while events keep coming.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { generateApiKey, hashApiKey } from '../gateway/auth/api-keys.ts';
import { serializeJobEvent } from '../schema/messages/job-event.ts';
import { jobEventKey } from '../messaging/job-events.ts';
import { RawSocket, type Closed, type Received } from './support/raw-websocket.ts';
import { startTestSystem, withAmqp, type TestSystem } from './support/test-system.ts';

const KEYS = { first: generateApiKey(), second: generateApiKey() };
const API_KEYS = JSON.stringify(Object.entries(KEYS).map(([name, secret]) =>
  ({ name, hash: hashApiKey(secret), collections: ['watched', 'marker'], roles: ['ingest', 'search'] })));
const auth = (key: keyof typeof KEYS) => ({ Authorization: `Bearer ${KEYS[key]}` });

const INGEST = 'mutation($input: IngestInput!) { ingestDocument(input: $input) { id } }';
const EVENTS = 'subscription { jobEvents { message job { id } } }';

/** Opens a socket and has its connection_init accepted. */
async function authenticated(url: string, key: keyof typeof KEYS): Promise<RawSocket> {
  const socket = await RawSocket.connect(url);
  const ack = await socket.init(auth(key));
  assert.ok(!ack.closed, `connection_init refused: ${JSON.stringify(ack)}`);
  return socket;
}

function errorCodes(message: Received | Closed): string[] {
  assert.ok(!message.closed, `socket closed: ${JSON.stringify(message)}`);
  return (message.payload as any[]).map((error) => String(error.extensions?.code));
}

describe('WebSocket message size', function () {
  this.timeout(60_000);
  let system: TestSystem;

  before(async () => { system = await startTestSystem({ actors: false, config: { apiKeys: API_KEYS, maxBodyBytes: 64 * 1024 } }); });
  after(async () => { await system?.stop(); });

  it('when connection_init is larger than MAX_WS_INIT_BYTES, should close with 1009 without the gateway holding it', async () => {
    // A 12 MB connection_init streamed in 64 KiB fragments, so only the gateway could hold it whole.
    const size = 12 * 1024 * 1024;
    const socket = await RawSocket.connect(system.url);
    const fragment = Buffer.alloc(64 * 1024, 'a');
    const baseline = process.memoryUsage().arrayBuffers;
    let peak = 0;
    const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage().arrayBuffers - baseline); }, 5);
    let closedEarly = false;
    void socket.closed.then(() => { closedEarly = true; });
    try {
      await send(socket, Buffer.from(`{"type":"connection_init","payload":{"pad":"`), false);
      for (let sent = 0; sent < size && !closedEarly; sent += fragment.length) {
        await send(socket, fragment, false);
        // Lets the close from the gateway in: a client that writes without pause would never see it.
        await new Promise((resolve) => setImmediate(resolve));
      }
      if (!closedEarly) await send(socket, Buffer.from('"}}'), true);
      const closed = await socket.closed;
      peak = Math.max(peak, process.memoryUsage().arrayBuffers - baseline);
      assert.equal(closed.code, 1009, `closed with ${closed.code} ${closed.reason}`);
      assert.ok(peak < size / 4, `the gateway's buffers grew by ${peak} bytes for a ${size}-byte message`);
      assert.equal(socket.received.length, 0, 'no connection_ack');
    } finally {
      clearInterval(sampler);
      socket.close();
    }
  });

  it('when connection_init was accepted, should take messages up to MAX_BODY_BYTES and close with 1009 above it, running nothing', async () => {
    const socket = await authenticated(system.url, 'first');
    try {
      socket.subscribe('within', INGEST, { input: { collection: 'watched', text: 'w'.repeat(32 * 1024) } });
      const accepted = await socket.result('within');
      assert.ok(!accepted.closed && accepted.data?.ingestDocument.id, JSON.stringify(accepted));
      const jobs = (await system.store.listJobs({ first: 10 })).jobs.length;
      socket.subscribe('over', INGEST, { input: { collection: 'watched', text: 'x'.repeat(100 * 1024) } });
      const outcome = await socket.waitFor((message) => message.id === 'over');
      assert.ok(outcome.closed, `the operation ran: ${JSON.stringify(outcome).slice(0, 200)}`);
      assert.equal(outcome.code, 1009);
      assert.equal((await system.store.listJobs({ first: 10 })).jobs.length, jobs, 'no job created');
    } finally {
      socket.close();
    }
  });
});

describe('WebSocket subscriptions and slow readers', function () {
  this.timeout(60_000);
  let system: TestSystem;

  before(async () => {
    system = await startTestSystem({
      actors: false,
      config: { apiKeys: API_KEYS, maxSubscriptionsPerSocket: 3, maxSubscriptionsPerKey: 5, maxWsBufferedBytes: 256 * 1024 },
    });
  });
  after(async () => { await system?.stop(); });

  it('when a socket or a key holds its most subscriptions, should refuse the next one until one ends', async () => {
    const [a, b, other] = [await authenticated(system.url, 'first'), await authenticated(system.url, 'first'), await authenticated(system.url, 'second')];
    try {
      for (const id of ['a1', 'a2', 'a3', 'a4']) a.subscribe(id, EVENTS);
      assert.deepEqual(errorCodes(await a.waitFor((message) => message.id === 'a4')), ['LIMIT_EXCEEDED']);
      assert.match(JSON.stringify(a.received), /MAX_SUBSCRIPTIONS_PER_SOCKET/);
      for (const id of ['b1', 'b2', 'b3']) b.subscribe(id, EVENTS);
      const refused = await b.waitFor((message) => message.id === 'b3');
      assert.deepEqual(errorCodes(refused), ['LIMIT_EXCEEDED']);
      assert.match(JSON.stringify(refused), /MAX_SUBSCRIPTIONS_PER_KEY/);
      // Another key has its own allowance.
      other.subscribe('o1', EVENTS);
      // Ending one subscription frees a place for the key.
      a.send({ id: 'a1', type: 'complete' });
      b.subscribe('b4', EVENTS);
      // The accepted subscriptions are live: an ingest reaches each of them, and no refused one.
      await new Promise((resolve) => setTimeout(resolve, 200));
      const ingest = await authenticated(system.url, 'second');
      ingest.subscribe('ingest', INGEST, { input: { collection: 'watched', text: 'Terns migrate pole to pole.' } });
      await ingest.result('ingest');
      ingest.close();
      for (const [socket, id] of [[a, 'a2'], [a, 'a3'], [b, 'b1'], [b, 'b2'], [b, 'b4'], [other, 'o1']] as const) {
        const next = await socket.waitFor((message) => message.id === id && message.type === 'next');
        assert.ok(!next.closed, `${id}: ${JSON.stringify(next)}`);
      }
      assert.ok(!a.received.some((message) => message.id === 'a1' && message.type === 'next'), 'a completed subscription gets nothing');
    } finally {
      for (const socket of [a, b, other]) socket.close();
    }
  });

  it('when a reader stops reading while events keep coming, should disconnect it once MAX_WS_BUFFERED_BYTES wait', async () => {
    const slow = await authenticated(system.url, 'first');
    const healthy = await authenticated(system.url, 'second');
    const pad = 'p'.repeat(60 * 1024);
    const total = 200;
    try {
      for (const id of ['s1', 's2', 's3']) slow.subscribe(id, EVENTS);
      // The healthy reader follows another collection: in this one process, a reader of the whole
      // burst would fall behind the gateway too.
      healthy.subscribe('h', 'subscription { jobEvents(collection: "marker") { message job { id } } }');
      // Both sockets are subscribed once each sees a probe event.
      await publishEvents(system, 'marker', ['probe']);
      await slow.waitFor((message) => message.id === 's3' && message.payload?.data?.jobEvents.message === 'probe');
      await healthy.waitFor((message) => message.payload?.data?.jobEvents.message === 'probe');
      slow.socket.pause();
      await publishEvents(system, 'watched', Array.from({ length: total }, () => pad));
      await publishEvents(system, 'marker', ['last']);
      // Events arrive in order: once the healthy reader has the last, the slow socket was handed every other.
      const last = await healthy.waitFor((message) => message.payload?.data?.jobEvents.message === 'last');
      assert.ok(!last.closed);
      slow.socket.resume();
      const closed = await slow.waitFor(() => false, 15_000).catch(() => null);
      assert.ok(closed?.closed, 'the slow socket was disconnected');
      const delivered = slow.received.filter((message) => message.type === 'next').length;
      assert.ok(delivered < 3 * (total + 2), `the slow reader got ${delivered} of ${3 * (total + 2)} events before it was cut off`);
      assert.ok(!(await Promise.race([healthy.closed, new Promise((resolve) => setTimeout(() => resolve(null), 100))])), 'the healthy socket stays open');
    } finally {
      slow.close();
      healthy.close();
    }
  });

  it('when a client pings and never reads the pongs, should disconnect it before the pongs pile up', async () => {
    const flooder = await authenticated(system.url, 'first');
    const healthy = await authenticated(system.url, 'second');
    try {
      flooder.socket.pause();
      const payload = Buffer.alloc(125, 'p');
      // Up to 32 MB of pings, far more than the kernel buffers between the two ends hold: the pongs
      // that answer them would pile up in the gateway. ws cuts a socket with 60 pongs unsent
      // (maxPendingAutoPongs, 60 by default in the ws release this project pins).
      for (let i = 0; i < 256_000 && flooder.socket.readyState === flooder.socket.OPEN; i++) {
        flooder.socket.ping(payload);
        if (i % 2_000 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      flooder.socket.resume();
      const closed = await flooder.waitFor(() => false, 15_000).catch(() => null);
      assert.ok(closed?.closed, 'the pinging socket was disconnected');
      // Another socket still gets answers.
      healthy.subscribe('probe', INGEST, { input: { collection: 'watched', text: 'Skuas chase terns for their catch.' } });
      const answer = await healthy.result('probe');
      assert.ok(!answer.closed, JSON.stringify(answer));
    } finally {
      flooder.close();
      healthy.close();
    }
  });
});

/** Sends one frame of a fragmented text message; resolves when written. */
function send(socket: RawSocket, data: Buffer, fin: boolean): Promise<void> {
  return new Promise((resolve) => socket.socket.send(data, { fin, binary: false }, () => resolve()));
}

/** Publishes one job event per message to the events exchange, as actors would. */
async function publishEvents(system: TestSystem, collection: string, messages: readonly string[]): Promise<void> {
  const now = new Date();
  await withAmqp(async (channel) => {
    for (const message of messages) {
      const job = {
        id: randomUUID(), collection, documentId: 'doc', status: 'RUNNING' as const, stage: 'PARSE' as const,
        progress: 0.5, attempts: 1, error: null, chunkCount: null, priority: 'NORMAL' as const, seq: 2, traceId: null,
        createdAt: now, updatedAt: now, finishedAt: null,
      };
      channel.publish(system.names.eventsExchange, jobEventKey(job.collection, job.id),
        serializeJobEvent({ job, stage: job.stage, status: job.status, progress: job.progress, message, at: now }));
    }
  });
}
