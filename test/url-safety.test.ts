import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gqlData, waitForJob } from './support/graphql-client.ts';
import { startTestSystem, type TestSystem } from './support/test-system.ts';

const INGEST = 'mutation($input: IngestInput!) { ingestDocument(input: $input) { id } }';

/** A loopback server that counts requests (none may reach it) or redirects elsewhere. */
async function startServer(handler: (url: string) => { status: number; headers?: Record<string, string>; body?: string }): Promise<{ server: Server; port: number; hits: string[] }> {
  const hits: string[] = [];
  const server = createServer((request, response) => {
    hits.push(request.url ?? '/');
    const { status, headers, body } = handler(request.url ?? '/');
    response.writeHead(status, headers);
    response.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, hits };
}

async function ingestUrl(system: TestSystem, url: string): Promise<any> {
  const { ingestDocument } = await gqlData(system.url, INGEST, { input: { collection: 'urls', url } });
  return waitForJob(system.url, ingestDocument.id);
}

describe('URL ingestion refuses addresses inside the network', function () {
  this.timeout(60_000);
  let system: TestSystem;
  let target: Awaited<ReturnType<typeof startServer>>;

  before(async () => {
    target = await startServer(() => ({ status: 200, headers: { 'content-type': 'text/plain' }, body: 'secret inside' }));
    // No allow-list: loopback is refused like any private address.
    system = await startTestSystem({ config: { fetchAllowList: [] } });
  });
  after(async () => {
    await system?.stop();
    target?.server.close();
  });

  const cases: { what: string; url: () => string; reason: RegExp }[] = [
    { what: 'a loopback IPv4 address', url: () => `http://127.0.0.1:${target.port}/doc.txt`, reason: /127\.0\.0\.1.*loopback/ },
    { what: 'a private IPv4 address', url: () => 'http://10.0.0.1/', reason: /10\.0\.0\.1.*private/ },
    { what: 'the IPv6 loopback address', url: () => 'http://[::1]/', reason: /::1.*loopback/ },
    { what: 'the cloud metadata address', url: () => 'http://169.254.169.254/latest/meta-data/', reason: /169\.254\.169\.254/ },
    { what: 'a name that resolves to loopback', url: () => `http://localhost:${target.port}/doc.txt`, reason: /loopback/ },
  ];
  for (const testCase of cases) {
    it(`when the URL is ${testCase.what}, should fail the job with the reason and fetch nothing`, async () => {
      const job = await ingestUrl(system, testCase.url());
      assert.equal(job.status, 'FAILED');
      assert.match(job.error, /^FETCH: refused /);
      assert.match(job.error, testCase.reason);
      assert.equal(job.chunkCount, null);
      assert.deepEqual(target.hits, [], 'no request reached the server');
    });
  }
});

describe('URL ingestion checks every redirect', function () {
  this.timeout(60_000);
  let system: TestSystem;
  let redirector: Awaited<ReturnType<typeof startServer>>;

  before(async () => {
    // The first hop is allow-listed (127.0.0.1 stands in for a public site); its redirect is not.
    redirector = await startServer(() => ({ status: 302, headers: { location: 'http://10.0.0.1/internal' } }));
    system = await startTestSystem({ config: { fetchAllowList: ['127.0.0.1/32'] } });
  });
  after(async () => {
    await system?.stop();
    redirector?.server.close();
  });

  it('when an allowed URL redirects to a private address, should fail the job naming the redirect target', async () => {
    const job = await ingestUrl(system, `http://127.0.0.1:${redirector.port}/moved`);
    assert.equal(job.status, 'FAILED');
    assert.match(job.error, /refused http:\/\/10\.0\.0\.1\/internal/);
    assert.match(job.error, /private/);
    assert.deepEqual(redirector.hits, ['/moved'], 'the first hop was fetched once, the redirect target never');
  });
});
