/**
 * Browsers acting for other sites (issue 12, finding 5): cross-site WebSocket hijacking is
 * refused by the handshake's Origin, DNS rebinding of an open gateway by the Host header.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { generateApiKey, hashApiKey } from '../gateway/auth/api-keys.ts';
import { startGateway } from '../gateway/server.ts';
import { defaultConfig } from '../config/config.ts';
import { silentLogger } from '../observability/logger.ts';
import { RawSocket } from './support/raw-websocket.ts';
import { startTestSystem, type TestSystem } from './support/test-system.ts';

const DELETE = 'mutation { deleteCollection(name: "precious") }';

/** POSTs a GraphQL request with exactly these headers (fetch would not let Host be set). */
function post(url: string, headers: Record<string, string>, query: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ query });
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), ...headers } }, (response) => {
      let text = '';
      response.on('data', (part: Buffer) => { text += part.toString(); });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Opens a socket with these headers: 'accepted' once connection_init is acknowledged, else the HTTP status. */
async function handshake(url: string, headers: Record<string, string>, init: Record<string, unknown> = {}): Promise<'accepted' | number> {
  const opened = await RawSocket.open(url, headers);
  if (!(opened instanceof RawSocket)) return opened.status;
  try {
    const ack = await opened.init(init);
    return ack.closed ? ack.code : 'accepted';
  } finally {
    opened.close();
  }
}

/** Whether collection "precious" still has its document. */
async function preciousKept(system: TestSystem): Promise<boolean> {
  return (await system.store.listJobs({ first: 10 })).jobs.some((edge) => edge.job.collection === 'precious');
}

describe('origins and host names', function () {
  this.timeout(60_000);

  describe('in open mode (no API keys)', () => {
    let system: TestSystem;
    let port: number;

    before(async () => {
      system = await startTestSystem({ actors: false });
      port = system.gateway.port;
      const ingest = await post(system.url, {}, 'mutation { ingestDocument(input: { collection: "precious", text: "Irreplaceable notes." }) { id } }');
      assert.equal(ingest.status, 200, ingest.body);
    });
    after(async () => { await system?.stop(); });

    it('when a page on another site opens a WebSocket, should refuse the handshake, so it cannot delete anything', async () => {
      for (const origin of ['https://evil.example', `http://evil.example:${port}`, 'null']) {
        assert.equal(await handshake(system.url, { Origin: origin }), 403, origin);
      }
      const refused = await RawSocket.open(system.url, { Origin: 'https://evil.example' });
      assert.ok(!(refused instanceof RawSocket));
      assert.match(refused.body, /Origin https:\/\/evil\.example may not open a WebSocket/);
      assert.ok(await preciousKept(system));
    });

    it('when the page is on a loopback origin, or the client sends no Origin, should accept it', async () => {
      for (const origin of [`http://localhost:${port}`, `http://127.0.0.1:${port}`, 'http://localhost:5173', `http://[::1]:${port}`]) {
        assert.equal(await handshake(system.url, { Origin: origin }), 'accepted', origin);
      }
      assert.equal(await handshake(system.url, {}), 'accepted');
    });

    it('when the Host is not a loopback name (DNS rebinding), should refuse HTTP and WebSocket alike', async () => {
      for (const host of [`evil.example:${port}`, 'rebind.attacker.test', `10.0.0.5:${port}`]) {
        const http = await post(system.url, { Host: host }, DELETE);
        assert.equal(http.status, 403, host);
        assert.equal(JSON.parse(http.body).errors[0].extensions.code, 'FORBIDDEN');
        assert.match(JSON.parse(http.body).errors[0].message, /not a loopback name/);
        // The rebound page's own origin: same origin as far as the browser knows.
        assert.equal(await handshake(system.url, { Host: host, Origin: `http://${host}` }), 403, host);
      }
      assert.ok(await preciousKept(system));
      for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`]) {
        assert.equal((await post(system.url, { Host: host }, '{ __typename }')).status, 200, host);
      }
    });

    it('when ALLOWED_ORIGINS names a foreign origin, should refuse to start', async () => {
      const config = defaultConfig({ port: 0, allowedOrigins: ['https://app.example.com'] });
      await assert.rejects(startGateway(config, silentLogger), /ALLOWED_ORIGINS lists https:\/\/app\.example\.com but no API keys are configured/);
    });
  });

  describe('with API keys', () => {
    const admin = generateApiKey();
    let system: TestSystem;
    let port: number;

    before(async () => {
      system = await startTestSystem({
        actors: false,
        config: {
          apiKeys: JSON.stringify([{ name: 'admin', hash: hashApiKey(admin), collections: '*', roles: ['admin'] }]),
          allowedOrigins: ['https://app.example.com'],
        },
      });
      port = system.gateway.port;
    });
    after(async () => { await system?.stop(); });

    const init = () => ({ Authorization: `Bearer ${admin}` });

    it('when the page is on an allowed origin or the gateway\'s own, should accept it; any other origin, refuse it', async () => {
      assert.equal(await handshake(system.url, { Origin: 'https://app.example.com' }, init()), 'accepted');
      assert.equal(await handshake(system.url, { Origin: `http://127.0.0.1:${port}` }, init()), 'accepted', 'the IDE served by the gateway');
      assert.equal(await handshake(system.url, {}, init()), 'accepted', 'no Origin: not a browser');
      for (const origin of ['https://evil.example', 'http://localhost:5173', 'https://app.example.com.evil.example']) {
        assert.equal(await handshake(system.url, { Origin: origin }, init()), 403, origin);
      }
      const refused = await RawSocket.open(system.url, { Origin: 'https://evil.example' });
      assert.ok(!(refused instanceof RawSocket) && /ALLOWED_ORIGINS/.test(refused.body));
    });

    it('when the Host is any name, should serve it: the key protects the gateway', async () => {
      const result = await post(system.url, { Host: 'gateway.example.com', authorization: `Bearer ${admin}` }, '{ __typename }');
      assert.equal(result.status, 200, result.body);
    });
  });
});
