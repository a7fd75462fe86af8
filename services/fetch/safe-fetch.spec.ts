/**
 * Tests for safeFetch. No test may send traffic to any address but loopback: besides the policy
 * under test, a "loopback jail" wraps net.Socket#connect for this file and fails any socket whose
 * destination (literal or looked up) is not loopback, recording every destination it sees.
 */
import assert from 'node:assert/strict';
import dns from 'node:dns';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import ipaddr from 'ipaddr.js';
import { PermanentError, RetryableError } from '../../messaging/errors.ts';
import { DEFAULT_FETCH_OPTIONS, safeFetch, type FetchOptions } from './safe-fetch.ts';

type LookupCallback = (error: Error | null, address: string | dns.LookupAddress[], family?: number) => void;
type LookupFn = (hostname: string, options: dns.LookupOptions, callback: LookupCallback) => void;

function isLoopback(address: string): boolean {
  const ip = ipaddr.process(address.replace(/^\[|\]$/g, ''));
  return ip.range() === 'loopback';
}

/** Destinations every socket in this file tried to reach, in order. */
const socketDestinations: string[] = [];
const originalConnect = net.Socket.prototype.connect;

function installLoopbackJail(): void {
  net.Socket.prototype.connect = function jailedConnect(this: net.Socket, ...args: unknown[]) {
    const first = args[0];
    const options = (Array.isArray(first) ? first[0] : first) as
      | { host?: string; path?: string | null; lookup?: LookupFn }
      | undefined;
    if (options !== null && typeof options === 'object' && !options.path) {
      const host = options.host ?? 'localhost';
      if (net.isIP(host) !== 0) {
        socketDestinations.push(host);
        if (!isLoopback(host)) {
          process.nextTick(() => this.destroy(new Error(`loopback jail: connection to ${host} blocked`)));
          return this;
        }
      } else {
        const inner = options.lookup ?? (dns.lookup as unknown as LookupFn);
        options.lookup = (hostname, lookupOptions, callback) =>
          inner(hostname, lookupOptions, (error, address, family) => {
            if (error) return callback(error, address, family);
            const list = Array.isArray(address) ? address.map((entry) => entry.address) : [address];
            socketDestinations.push(...list);
            const outside = list.find((entry) => !isLoopback(entry));
            if (outside !== undefined) {
              return callback(new Error(`loopback jail: connection to ${outside} blocked`), '', 0);
            }
            return callback(null, address, family);
          });
      }
    }
    return (originalConnect as (...a: unknown[]) => net.Socket).apply(this, args);
  } as typeof net.Socket.prototype.connect;
}

/** A resolver stub that records the names it was asked for. */
function stubResolver(table: Readonly<Record<string, readonly string[]>>, failure?: string) {
  const calls: string[] = [];
  const resolve = async (host: string): Promise<readonly string[]> => {
    calls.push(host);
    const found = table[host];
    if (found) return found;
    throw Object.assign(new Error(`lookup ${host} failed`), { code: failure ?? 'ENOTFOUND' });
  };
  return { calls, resolve };
}

/** A test server on 127.0.0.1 that counts connections and remembers each request's Host header. */
function startServer(): Promise<{ server: http.Server; port: number; stats: { connections: number; hosts: string[] } }> {
  const stats = { connections: 0, hosts: [] as string[] };
  const server = http.createServer((request, response) => {
    stats.hosts.push(request.headers.host ?? '');
    const path = request.url ?? '/';
    const chain = /^\/chain\/(\d+)$/.exec(path);
    if (chain) {
      response.writeHead(302, { location: `/chain/${Number(chain[1]) + 1}` }).end();
      return;
    }
    switch (path) {
      case '/doc':
        response.writeHead(200, { 'content-type': 'Text/HTML; Charset=UTF-8' }).end('<p>hello</p>');
        return;
      case '/untyped':
        response.writeHead(200).end('raw');
        return;
      case '/relative':
        response.writeHead(301, { location: 'doc?from=relative' }).end();
        return;
      case '/doc?from=relative':
        response.writeHead(200, { 'content-type': 'text/plain' }).end('after relative redirect');
        return;
      case '/to-private':
        response.writeHead(302, { location: 'http://10.0.0.1/secret' }).end();
        return;
      case '/loop-a':
        response.writeHead(307, { location: '/loop-b' }).end();
        return;
      case '/loop-b':
        response.writeHead(308, { location: '/loop-a' }).end();
        return;
      case '/missing':
        response.writeHead(404).end('no such page');
        return;
      case '/busy':
        response.writeHead(503, { 'retry-after': '7' }).end();
        return;
      case '/throttled':
        response.writeHead(429).end();
        return;
      case '/big-declared':
        response.writeHead(200, { 'content-length': '2000' }).end(Buffer.alloc(2000, 'a'));
        return;
      case '/big-streamed':
        // No Content-Length: the limit must be enforced while the body streams in.
        response.writeHead(200);
        for (let i = 0; i < 3; i++) response.write(Buffer.alloc(1000, 'b'));
        response.end();
        return;
      case '/stall-headers':
        return; // never answers
      case '/stall-body':
        response.writeHead(200, { 'content-length': '100' });
        response.write('partial');
        return; // never finishes
      default:
        response.writeHead(500).end();
    }
  });
  server.on('connection', () => {
    stats.connections++;
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as AddressInfo).port, stats }));
  });
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  assert.fail('expected the fetch to fail');
}

describe('safeFetch', () => {
  let server: http.Server;
  let port: number;
  let stats: { connections: number; hosts: string[] };

  before(() => installLoopbackJail());
  after(() => {
    net.Socket.prototype.connect = originalConnect;
  });

  beforeEach(async () => {
    ({ server, port, stats } = await startServer());
    socketDestinations.length = 0;
  });
  afterEach(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    // The jail is the last line of defence: whatever a test did, nothing left loopback.
    assert.deepEqual(socketDestinations.filter((address) => !isLoopback(address)), []);
  });

  function options(overrides: Partial<FetchOptions>): FetchOptions {
    return { ...DEFAULT_FETCH_OPTIONS, ...overrides };
  }

  describe('when the address is refused by the policy', () => {
    const cases: readonly (readonly [string, (port: number) => string, RegExp])[] = [
      ['127.0.0.1', (p) => `http://127.0.0.1:${p}/doc`, /address 127\.0\.0\.1 is loopback/],
      ['10.0.0.1', () => 'http://10.0.0.1/', /^refused http:\/\/10\.0\.0\.1\/: address 10\.0\.0\.1 is private \(RFC 1918\); allow it with FETCH_ALLOW_LIST$/],
      ['[::1]', (p) => `http://[::1]:${p}/doc`, /address ::1 is loopback/],
      ['169.254.169.254', () => 'http://169.254.169.254/latest/meta-data/', /cloud metadata endpoint/],
      ['::ffff:127.0.0.1', (p) => `http://[::ffff:127.0.0.1]:${p}/doc`, /IPv4-mapped 127\.0\.0\.1, which is loopback/],
      ['0x7f.1 (URL-normalized to 127.0.0.1)', (p) => `http://0x7f.1:${p}/doc`, /address 127\.0\.0\.1 is loopback/],
    ];
    for (const [name, makeUrl, reason] of cases) {
      it(`should refuse ${name} without resolving or connecting`, async () => {
        const stub = stubResolver({});
        const error = await rejection(safeFetch(makeUrl(port), options({ resolve: stub.resolve })));
        assert.ok(error instanceof PermanentError, String(error));
        assert.match(error.message, reason);
        assert.deepEqual(stub.calls, []);
        assert.equal(stats.connections, 0);
        assert.deepEqual(socketDestinations, []);
      });
    }

    it('should refuse a name that resolves to loopback (localhost), naming the URL', async () => {
      const stub = stubResolver({ localhost: ['127.0.0.1', '::1'] });
      const url = `http://localhost:${port}/doc`;
      const error = await rejection(safeFetch(url, options({ resolve: stub.resolve })));
      assert.ok(error instanceof PermanentError);
      assert.ok(error.message.startsWith(`refused ${url}: address 127.0.0.1 is loopback`), error.message);
      assert.deepEqual(stub.calls, ['localhost']);
      assert.equal(stats.connections, 0);
    });

    it('should refuse a name when any one of its addresses is refused', async () => {
      const stub = stubResolver({ 'mixed.example.test': ['93.184.215.14', '10.0.0.1'] });
      const error = await rejection(safeFetch('http://mixed.example.test/', options({ resolve: stub.resolve })));
      assert.ok(error instanceof PermanentError);
      assert.match(error.message, /address 10\.0\.0\.1 is private/);
      assert.deepEqual(socketDestinations, []);
    });
  });

  describe('when the address is allow-listed', () => {
    it('should fetch from the local server through a name resolved to an allowed address', async () => {
      const stub = stubResolver({ 'docs.example.test': ['127.0.0.1'] });
      const url = `http://docs.example.test:${port}/doc`;
      const document = await safeFetch(url, options({ resolve: stub.resolve, allowList: ['127.0.0.1/32'] }));
      assert.equal(Buffer.from(document.bytes).toString(), '<p>hello</p>');
      assert.equal(document.finalUrl, url);
      // The socket went to the checked address while the Host header kept the name.
      assert.deepEqual(stats.hosts, [`docs.example.test:${port}`]);
      assert.deepEqual(socketDestinations, ['127.0.0.1']);
    });

    it('should fetch from a host allowed by name', async () => {
      const stub = stubResolver({ localhost: ['127.0.0.1'] });
      const document = await safeFetch(`http://localhost:${port}/doc`, options({ resolve: stub.resolve, allowList: ['localhost'] }));
      assert.equal(Buffer.from(document.bytes).toString(), '<p>hello</p>');
    });

    it('should fetch an allowed IP literal without calling the resolver', async () => {
      const stub = stubResolver({});
      const document = await safeFetch(`http://127.0.0.1:${port}/doc`, options({ resolve: stub.resolve, allowList: ['127.0.0.1'] }));
      assert.equal(Buffer.from(document.bytes).toString(), '<p>hello</p>');
      assert.deepEqual(stub.calls, []);
    });
  });

  describe('when following redirects', () => {
    const allowList = ['127.0.0.1'];

    it('should refuse a redirect to a private address before connecting to it', async () => {
      const stub = stubResolver({ 'docs.example.test': ['127.0.0.1'] });
      const error = await rejection(
        safeFetch(`http://docs.example.test:${port}/to-private`, options({ resolve: stub.resolve, allowList })),
      );
      assert.ok(error instanceof PermanentError);
      assert.equal(
        error.message,
        'refused http://10.0.0.1/secret: address 10.0.0.1 is private (RFC 1918); allow it with FETCH_ALLOW_LIST',
      );
      assert.equal(stats.connections, 1);
      assert.deepEqual(stub.calls, ['docs.example.test']);
      assert.ok(!socketDestinations.some((address) => address.startsWith('10.')), socketDestinations.join());
    });

    it('should resolve a relative Location against the current URL', async () => {
      const document = await safeFetch(`http://127.0.0.1:${port}/relative`, options({ allowList }));
      assert.equal(Buffer.from(document.bytes).toString(), 'after relative redirect');
      assert.equal(document.finalUrl, `http://127.0.0.1:${port}/doc?from=relative`);
    });

    it('should stop a redirect loop as permanent', async () => {
      const error = await rejection(safeFetch(`http://127.0.0.1:${port}/loop-a`, options({ allowList })));
      assert.ok(error instanceof PermanentError);
      assert.match(error.message, /redirect loop/);
      assert.equal(stats.hosts.length, 2);
    });

    it('should stop after maxRedirects hops as permanent', async () => {
      const error = await rejection(safeFetch(`http://127.0.0.1:${port}/chain/0`, options({ allowList, maxRedirects: 3 })));
      assert.ok(error instanceof PermanentError);
      assert.match(error.message, /too many redirects .*maxRedirects \(3\)/);
      assert.equal(stats.hosts.length, 4);
    });
  });

  describe('when the response is not a plain success', () => {
    const allowList = ['127.0.0.1'];

    it('should fail 404 as permanent', async () => {
      const error = await rejection(safeFetch(`http://127.0.0.1:${port}/missing`, options({ allowList })));
      assert.ok(error instanceof PermanentError);
      assert.match(error.message, new RegExp(`http://127\\.0\\.0\\.1:${port}/missing: HTTP 404`));
    });

    it('should fail 503 and 429 as retryable', async () => {
      const busy = await rejection(safeFetch(`http://127.0.0.1:${port}/busy`, options({ allowList })));
      assert.ok(busy instanceof RetryableError);
      assert.match(busy.message, /HTTP 503 \(Retry-After: 7\)/);
      const throttled = await rejection(safeFetch(`http://127.0.0.1:${port}/throttled`, options({ allowList })));
      assert.ok(throttled instanceof RetryableError);
    });

    it('should refuse a body whose Content-Length is over maxBytes', async () => {
      const error = await rejection(safeFetch(`http://127.0.0.1:${port}/big-declared`, options({ allowList, maxBytes: 1999 })));
      assert.ok(error instanceof PermanentError);
      assert.match(error.message, /Content-Length is 2000 bytes, over maxBytes \(1999\)/);
    });

    it('should refuse a streamed body once it passes maxBytes', async () => {
      const error = await rejection(safeFetch(`http://127.0.0.1:${port}/big-streamed`, options({ allowList, maxBytes: 1500 })));
      assert.ok(error instanceof PermanentError);
      assert.match(error.message, /over maxBytes \(1500\)/);
    });

    it('should accept a body of exactly maxBytes', async () => {
      const document = await safeFetch(`http://127.0.0.1:${port}/big-streamed`, options({ allowList, maxBytes: 3000 }));
      assert.equal(document.bytes.byteLength, 3000);
    });

    it('should fail as retryable when no response arrives in time', async () => {
      const started = Date.now();
      const error = await rejection(safeFetch(`http://127.0.0.1:${port}/stall-headers`, options({ allowList, timeoutMs: 300 })));
      assert.ok(error instanceof RetryableError, String(error));
      assert.match(error.message, /timed out .*300 ms/);
      assert.ok(Date.now() - started < 5000);
    });

    it('should fail as retryable when the body stalls past the timeout', async () => {
      const error = await rejection(safeFetch(`http://127.0.0.1:${port}/stall-body`, options({ allowList, timeoutMs: 300 })));
      assert.ok(error instanceof RetryableError, String(error));
    });

    it("should rethrow the caller's abort as it is, not as retryable", async () => {
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 100);
      const error = await rejection(
        safeFetch(`http://127.0.0.1:${port}/stall-headers`, options({ allowList }), controller.signal),
      );
      assert.equal(error, controller.signal.reason);
      assert.ok(!(error instanceof RetryableError));
    });
  });

  describe('when the URL or its host is unusable', () => {
    for (const url of ['ftp://example.test/file.txt', 'file:///etc/passwd']) {
      it(`should refuse ${url} naming its scheme`, async () => {
        const error = await rejection(safeFetch(url, DEFAULT_FETCH_OPTIONS));
        assert.ok(error instanceof PermanentError);
        assert.match(error.message, new RegExp(`scheme "${new URL(url).protocol}"`));
      });
    }

    it('should fail an unknown host (ENOTFOUND) as permanent', async () => {
      const stub = stubResolver({}, 'ENOTFOUND');
      const error = await rejection(safeFetch('http://nowhere.example.test/', options({ resolve: stub.resolve })));
      assert.ok(error instanceof PermanentError);
      assert.match(error.message, /nowhere\.example\.test.*ENOTFOUND/);
    });

    it('should fail a temporary DNS failure (EAI_AGAIN) as retryable', async () => {
      const stub = stubResolver({}, 'EAI_AGAIN');
      const error = await rejection(safeFetch('http://flaky.example.test/', options({ resolve: stub.resolve })));
      assert.ok(error instanceof RetryableError);
    });

    it('should fail a refused connection as retryable', async () => {
      const closed = await startServer();
      const closedPort = closed.port;
      await new Promise<void>((resolve) => closed.server.close(() => resolve()));
      const error = await rejection(safeFetch(`http://127.0.0.1:${closedPort}/doc`, options({ allowList: ['127.0.0.1'] })));
      assert.ok(error instanceof RetryableError);
      assert.match(error.message, /ECONNREFUSED/);
    });
  });

  describe('when the response has a content type', () => {
    it('should keep its media type in lower case without parameters', async () => {
      const document = await safeFetch(`http://127.0.0.1:${port}/doc`, options({ allowList: ['127.0.0.1'] }));
      assert.equal(document.mimeType, 'text/html');
    });

    it('should give null when the header is absent', async () => {
      const document = await safeFetch(`http://127.0.0.1:${port}/untyped`, options({ allowList: ['127.0.0.1'] }));
      assert.equal(document.mimeType, null);
    });
  });
});
