/**
 * The number of sockets a client can make one gateway hold (MAX_CONNECTIONS): past it a new
 * socket is closed at once, whether it would have carried HTTP or a WebSocket, and the sockets
 * already open keep working.
 */
import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { RawSocket } from './support/raw-websocket.ts';
import { startTestSystem, type TestSystem } from './support/test-system.ts';

const MAX_CONNECTIONS = 3;
const QUERY = JSON.stringify({ query: '{ __typename }' });

/** POSTs a query; resolves with the status and body, or rejects when the socket is closed first. */
function post(url: string, agent: Agent | false): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const call = request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (part: string) => { body += part; });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    call.on('error', reject);
    call.end(QUERY);
  });
}

describe('Connections per gateway (MAX_CONNECTIONS)', function () {
  this.timeout(60_000);
  let system: TestSystem;
  const held: RawSocket[] = [];
  const keepAlive = new Agent({ keepAlive: true, maxSockets: 1 });

  before(async () => { system = await startTestSystem({ actors: false, config: { maxConnections: MAX_CONNECTIONS } }); });
  after(async () => {
    for (const socket of held) socket.close();
    keepAlive.destroy();
    await system?.stop();
  });

  it('when clients hold MAX_CONNECTIONS sockets, should close the next at once over HTTP and WebSocket alike, keep serving the open ones, and take a new one after one closes', async () => {
    // Held open: one HTTP keep-alive socket and two WebSockets whose connection_init was accepted.
    assert.equal((await post(system.url, keepAlive)).status, 200);
    for (let i = 0; i < 2; i++) {
      const socket = await RawSocket.connect(system.url);
      held.push(socket);
      const ack = await socket.init();
      assert.ok(!ack.closed, JSON.stringify(ack));
    }

    await assert.rejects(post(system.url, false), /socket hang up|ECONNRESET|EPIPE/);
    await assert.rejects(RawSocket.connect(system.url), /socket hang up|ECONNRESET|EPIPE|closed/);

    // The open ones still answer, over both transports.
    assert.equal((await post(system.url, keepAlive)).status, 200);
    held[0]!.subscribe('typename', '{ __typename }');
    const result = await held[0]!.result('typename');
    assert.ok(!result.closed && result.data?.__typename === 'Query', JSON.stringify(result));

    // One closes: a new client is served once the gateway has seen it go.
    held.pop()!.close();
    const deadline = Date.now() + 5_000;
    let answer: { status: number } | null = null;
    while (answer === null && Date.now() < deadline) {
      answer = await post(system.url, false).catch(() => null);
      if (answer === null) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(answer?.status, 200);
  });
});
