import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { chromium, type Browser, type Page } from 'playwright-core';
import { AUTHORIZATION_PLACEHOLDER } from '../gateway/ide/ide-page.ts';
import { GRAPHQL_PATH } from '../gateway/server.ts';
import { gqlData } from './support/graphql-client.ts';
import { startTestSystem, type TestSystem } from './support/test-system.ts';

const CHROMIUM = '/usr/bin/chromium';
const INGEST = 'mutation($input: IngestInput!) { ingestDocument(input: $input) { id } }';

/** A plain HTTP GET returning status, headers and body, for the handler's non-browser behaviour. */
function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: IncomingMessage['headers']; body: string }> {
  return new Promise((resolve, reject) => {
    httpRequest(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    })
      .on('error', reject)
      .end();
  });
}

/** Ingests one small text document into `collection` and returns its job id. */
async function ingestText(system: TestSystem, collection: string, text: string): Promise<string> {
  const { ingestDocument } = await gqlData<{ ingestDocument: { id: string } }>(system.url, INGEST, { input: { collection, text } });
  return ingestDocument.id;
}

/** The visible editor of GraphiQL's Variables/Headers pane. */
const HEADERS_EDITOR = '.graphiql-editor-tool .graphiql-editor:not(.hidden)';
const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

describe('GraphQL IDE served by the gateway over HTTP', function () {
  this.timeout(60_000);
  let system: TestSystem;
  let origin: string;
  before(async () => {
    system = await startTestSystem({ actors: false });
    origin = new URL(system.url).origin;
  });
  after(async () => {
    await system?.stop();
  });

  it('when a browser asks for the GraphQL path / should serve the page with a CSP and no inline script', async () => {
    const page = await get(origin + GRAPHQL_PATH, { accept: BROWSER_ACCEPT });
    assert.equal(page.status, 200);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    assert.match(String(page.headers['content-security-policy']), /script-src 'self'/);
    const scriptTags = page.body.match(/<script\b[^>]*>/g) ?? [];
    assert.ok(scriptTags.length > 0);
    for (const tag of scriptTags) assert.ok(/\ssrc="\/ide\//.test(tag) || /type="application\/json"/.test(tag), tag);
    assert.doesNotMatch(page.body, /\son[a-z]+=/i, 'no inline event handlers');
    assert.doesNotMatch(page.body, /https?:\/\//, 'no absolute URLs to other hosts');
  });

  it('when a browser opens / / should redirect to the GraphQL path', async () => {
    const root = await get(origin + '/', { accept: BROWSER_ACCEPT });
    assert.equal(root.status, 302);
    assert.equal(root.headers.location, GRAPHQL_PATH);
  });

  it('when a client asks for JSON on the GraphQL path / should leave the request to Apollo', async () => {
    const api = await get(`${origin}${GRAPHQL_PATH}?query=${encodeURIComponent('{ jobs(first: 1) { edges { node { id } } } }')}`, {
      accept: 'application/json',
      'apollo-require-preflight': 'true',
    });
    assert.equal(api.status, 200);
    assert.deepEqual(JSON.parse(api.body), { data: { jobs: { edges: [] } } });
  });

  it('when a non-browser client opens / / should still answer 404 rather than the IDE', async () => {
    const root = await get(origin + '/', { accept: '*/*' });
    assert.equal(root.status, 404);
  });

  it('when the page links its assets / should serve each with its content type and immutable caching', async () => {
    const page = await get(origin + GRAPHQL_PATH, { accept: BROWSER_ACCEPT });
    const links = [...page.body.matchAll(/(?:src|href)="(\/ide\/[^"]+)"/g)].map((match) => match[1] ?? '');
    assert.ok(links.length >= 6, `expected css, react, react-dom, graphql-ws, graphiql and boot script, got ${links.join(', ')}`);
    for (const link of links) {
      const asset = await get(origin + link, { 'accept-encoding': 'identity' });
      assert.equal(asset.status, 200, link);
      assert.match(String(asset.headers['content-type']), link.endsWith('.css') ? /^text\/css/ : /^text\/javascript/, link);
      assert.match(String(asset.headers['cache-control']), /immutable/, link);
      const revalidated = await get(origin + link, { 'if-none-match': String(asset.headers.etag) });
      assert.equal(revalidated.status, 304, link);
    }
  });

  it('when a path under /ide/ is unknown / should answer 404', async () => {
    const missing = await get(`${origin}/ide/nope/graphiql.min.js`);
    assert.equal(missing.status, 404);
  });
});

const skipReason = existsSync(CHROMIUM) ? undefined : `${CHROMIUM} is missing (apt-get install -y chromium); CI installs it`;

describe('GraphQL IDE in a headless browser against the real gateway', function () {
  this.timeout(60_000);
  let system: TestSystem;
  let origin: string;
  let browser: Browser;
  let page: Page;
  const requestedUrls: string[] = [];
  /** Authorization header of each GraphQL HTTP request the page sent (undefined when absent). */
  const httpAuthorizations: (string | undefined)[] = [];
  /** Payload of each graphql-ws connection_init frame the page sent. */
  const connectionInitPayloads: unknown[] = [];
  /** Ids of the subscribe frames the page sent, so the test knows a subscription is live. */
  const subscribeFrames: string[] = [];
  const consoleErrors: string[] = [];
  const runId = randomUUID().slice(0, 8);
  const collection = `ide-${runId}`;
  const token = `Bearer test-${runId}`;

  before(async function () {
    if (skipReason !== undefined) {
      console.log(`      skipped: ${skipReason}`);
      this.skip();
    }
    system = await startTestSystem();
    origin = new URL(system.url).origin;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage();
    page.on('request', (request) => {
      requestedUrls.push(request.url());
      if (request.method() === 'POST' && new URL(request.url()).pathname === GRAPHQL_PATH) {
        httpAuthorizations.push(request.headers().authorization);
      }
    });
    // WebSockets are not 'request' events; record them and the frames they send.
    page.on('websocket', (socket) => {
      requestedUrls.push(socket.url());
      socket.on('framesent', ({ payload }) => {
        const message = JSON.parse(String(payload)) as { type?: string; id?: string; payload?: unknown };
        if (message.type === 'connection_init') connectionInitPayloads.push(message.payload ?? {});
        if (message.type === 'subscribe') subscribeFrames.push(message.id ?? '');
      });
    });
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(error.message));
  });

  after(async () => {
    await browser?.close();
    await system?.stop();
  });

  it('when the IDE loads / should fetch everything from 127.0.0.1 and log no errors', async () => {
    await page.goto(origin + '/');
    assert.equal(new URL(page.url()).pathname, GRAPHQL_PATH, 'the root redirects to the GraphQL path');
    await page.locator('.graphiql-container').waitFor();
    await page.waitForFunction(() => document.querySelectorAll('.graphiql-tab').length === 2);
    // The schema arrives by introspection over HTTP.
    await waitUntil(() => httpAuthorizations.length > 0, 'schema introspection request');
    await page.getByRole('button', { name: 'Headers' }).click();
    assert.match(await editorValue(page, HEADERS_EDITOR), new RegExp(escapeRegExp(AUTHORIZATION_PLACEHOLDER)));
    await page.waitForLoadState('networkidle');
    const expectedHost = new URL(origin).host;
    const foreign = requestedUrls.filter((url) => {
      const parsed = new URL(url);
      return parsed.protocol !== 'data:' && parsed.host !== expectedHost;
    });
    assert.deepEqual(foreign, [], 'every request stays on 127.0.0.1');
    assert.ok(requestedUrls.some((url) => url.includes('/ide/')), 'assets come from /ide/');
    assert.deepEqual(consoleErrors, []);
    assert.ok(
      httpAuthorizations.every((value) => value === undefined),
      `the untouched "${AUTHORIZATION_PLACEHOLDER}" hint is not sent`,
    );
  });

  it('when a jobs query is typed and run with an Authorization header / should show the ingested job and send the header', async () => {
    const jobId = await ingestText(system, collection, `The IDE test document of run ${runId}.`);
    await setEditor(page, '.graphiql-query-editor', `{ jobs(collection: "${collection}", first: 5) { edges { node { id collection } } } }`);
    await setHeaders(page, JSON.stringify({ Authorization: token }));
    const before = httpAuthorizations.length;
    await page.locator('.graphiql-execute-button').click();
    await waitUntil(async () => (await readResult(page)).includes(jobId), 'the query result');
    const result = JSON.parse(await readResult(page)) as { data?: { jobs?: { edges?: { node?: { id?: string; collection?: string } }[] } } };
    assert.deepEqual(result.data?.jobs?.edges?.map((edge) => edge.node), [{ id: jobId, collection }]);
    // The gateway has no API keys yet: the assertion is that the typed header is sent.
    assert.ok(httpAuthorizations.slice(before).includes(token), `HTTP sent ${JSON.stringify(httpAuthorizations)}`);
  });

  it('when the preloaded subscription runs and a document is ingested / should show its job events and send the header in connection_init', async () => {
    await page.locator('.graphiql-tab').nth(1).locator('.graphiql-tab-button').click();
    const subscription = await editorValue(page, '.graphiql-query-editor');
    assert.match(subscription, /subscription[\s\S]*jobEvents/, 'the second tab holds the example subscription');
    // Headers belong to each tab in GraphiQL 3, so this tab needs its own.
    await setHeaders(page, JSON.stringify({ Authorization: token }));
    await page.locator('.graphiql-execute-button').click();
    // Ingest once the subscribe frame is out. Even if the gateway registered the subscription a
    // moment after the first event, the job's later events (the terminal one last) still arrive.
    await waitUntil(() => subscribeFrames.length > 0, 'the subscribe frame');
    const jobId = await ingestText(system, collection, `Live events for the IDE, run ${runId}.`);

    await waitUntil(async () => {
      const text = await readResult(page);
      return text.includes(jobId) && text.includes('"status": "SUCCEEDED"');
    }, `the SUCCEEDED event of job ${jobId} in the result pane`, 30_000);
    assert.deepEqual(connectionInitPayloads.at(-1), { Authorization: token });
    const sockets = requestedUrls.filter((url) => url.startsWith('ws'));
    assert.deepEqual(sockets, [`ws://${new URL(origin).host}${GRAPHQL_PATH}`]);
    if (process.env.IDE_SCREENSHOT) await page.screenshot({ path: process.env.IDE_SCREENSHOT });
  });
});

/** Replaces an editor's content the way a user would: focus, select all, type. */
async function setEditor(page: Page, containerSelector: string, text: string): Promise<void> {
  await page.locator(`${containerSelector} .CodeMirror`).first().click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.press('Backspace');
  // insertText skips per-key events, so CodeMirror's auto-closing brackets do not double them.
  await page.keyboard.insertText(text);
  assert.equal(await editorValue(page, containerSelector), text);
}

async function setHeaders(page: Page, text: string): Promise<void> {
  await page.getByRole('button', { name: 'Headers' }).click();
  await setEditor(page, HEADERS_EDITOR, text);
}

async function editorValue(page: Page, containerSelector: string): Promise<string> {
  return page.locator(`${containerSelector} .CodeMirror`).first().evaluate((element) => {
    return (element as HTMLElement & { CodeMirror: { getValue(): string } }).CodeMirror.getValue();
  });
}

async function readResult(page: Page): Promise<string> {
  return editorValue(page, '.result-window');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

async function waitUntil(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
