/**
 * Every limit HTTP applies to an operation applies over WebSocket too (issue 12, findings 7 and
 * 8): the same abusive operations, sent both ways to a production-configured gateway, get the
 * same refusal and run nothing.
 */
import assert from 'node:assert/strict';
import { RawSocket } from './support/raw-websocket.ts';
import { queueDepths, startTestSystem, type TestSystem } from './support/test-system.ts';

const INPUT = '{ collection: "parity", text: "A short note." }';
const JOB = 'id collection documentId status stage progress attempts error chunkCount priority createdAt updatedAt finishedAt';

/** Operations each limit must refuse, named by the limit. */
const ABUSIVE: Readonly<Record<string, string>> = {
  MAX_QUERY_DEPTH: `mutation { ingestDocument(input: ${INPUT}) { ${'... on Job { '.repeat(12)}id${' }'.repeat(12)} } }`,
  MAX_ALIASES: `mutation { ${Array.from({ length: 30 }, (_, i) => `a${i}: ingestDocument(input: ${INPUT}) { id }`).join(' ')} }`,
  MAX_QUERY_COST: `mutation { ingestDocument(input: ${INPUT}) { ${JOB} } }`,
  MAX_DIRECTIVES: `mutation { ingestDocument(input: ${INPUT}) { ${'id @include(if: true) '.repeat(60)} } }`,
  MAX_TOKENS: `mutation { ingestDocument(input: ${INPUT}) { ${'id '.repeat(6000)} } }`,
  'schema suggestions': '{ jobz { id } }',
  INTROSPECTION: '{ __schema { types { name } } }',
};

interface Refusal { readonly message: string; readonly code: unknown }
const refusals = (errors: readonly any[] | undefined): Refusal[] =>
  (errors ?? []).map((error) => ({ message: error.message, code: error.extensions?.code }));

describe('the same limits over HTTP and WebSocket', function () {
  this.timeout(60_000);
  let system: TestSystem;
  let socket: RawSocket;

  before(async () => {
    system = await startTestSystem({
      actors: false,
      // Production: introspection off and errors masked; a small cost budget and body limit.
      config: { introspection: false, maskErrors: true, maxQueryCost: 20, maxBodyBytes: 128 * 1024 },
    });
    socket = await RawSocket.connect(system.url);
    assert.equal((await socket.init()).closed, undefined);
  });
  after(async () => {
    socket?.close();
    await system?.stop();
  });

  /** Runs `work` and checks that it created no job and queued no message. */
  async function nothingRuns<T>(work: () => Promise<T>): Promise<T> {
    const depths = await queueDepths(system.names);
    const result = await work();
    assert.equal((await system.store.listJobs({ first: 10 })).jobs.length, 0, 'no job created');
    assert.deepEqual(await queueDepths(system.names), depths, 'queue depths unchanged');
    return result;
  }

  /** Sends `payload` as an operation on a socket of its own: the gateway must close it with `code`, running nothing. */
  async function closesSocket(payload: unknown, code: number): Promise<void> {
    const own = await RawSocket.connect(system.url);
    try {
      await own.init();
      const closed = await nothingRuns(async () => {
        own.send({ id: 'refused', type: 'subscribe', payload });
        return own.waitFor((message) => message.id === 'refused');
      });
      assert.ok(closed.closed && closed.code === code, JSON.stringify(closed).slice(0, 200));
    } finally {
      own.close();
    }
  }

  let next = 0;
  for (const [limit, query] of Object.entries(ABUSIVE)) {
    it(`when an operation crosses ${limit}, should refuse it the same way on both transports`, async () => {
      const http = await nothingRuns(() => post(system.url, JSON.stringify({ query })));
      assert.ok(http.status >= 400 && http.status < 500, `HTTP status ${http.status}`);
      const overHttp = refusals(http.json.errors);
      assert.ok(overHttp.length > 0);
      const id = `op${next++}`;
      const ws = await nothingRuns(async () => {
        socket.subscribe(id, query);
        return socket.result(id);
      });
      assert.ok(!ws.closed, `socket closed: ${JSON.stringify(ws)}`);
      assert.equal(ws.data, undefined);
      assert.deepEqual(refusals(ws.errors), overHttp);
      assert.doesNotMatch(JSON.stringify(overHttp), /Did you mean/);
    });
  }

  it('when the request is larger than MAX_BODY_BYTES, should answer 413 over HTTP and close with 1009 over WebSocket', async () => {
    const body = { query: 'mutation($input: IngestInput!) { ingestDocument(input: $input) { id } }', variables: { input: { collection: 'parity', text: 'x'.repeat(200 * 1024) } } };
    const http = await nothingRuns(() => post(system.url, JSON.stringify(body)));
    assert.equal(http.status, 413);
    await closesSocket(body, 1009);
  });

  it('when operations are batched, should refuse the batch on both transports', async () => {
    const batch = [{ query: `mutation { ingestDocument(input: ${INPUT}) { id } }` }, { query: '{ __typename }' }];
    const http = await nothingRuns(() => post(system.url, JSON.stringify(batch)));
    assert.equal(http.status, 400);
    assert.match(JSON.stringify(http.json), /batching/i);
    await closesSocket(batch, 4400);
  });
});

/** Raw HTTP POST keeping the status. */
async function post(url: string, body: string): Promise<{ status: number; json: any }> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const text = await response.text();
  let json: any;
  try { json = JSON.parse(text); } catch { json = { text }; }
  return { status: response.status, json };
}
