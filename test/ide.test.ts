import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer, HeaderMap } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import {
  GraphQLInt,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLSchema,
  GraphQLString,
} from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { chromium, type Browser, type Page } from 'playwright-core';
import { WebSocketServer } from 'ws';
import { createIdeHandler } from '../gateway/ide/ide-handler.ts';
import { AUTHORIZATION_PLACEHOLDER } from '../gateway/ide/ide-page.ts';

const CHROMIUM = '/usr/bin/chromium';
const GRAPHQL_PATH = '/graphql';
const EVENT_COUNT = 3;
/** Gap between subscription events, long enough for the test to see each one in the result pane. */
const EVENT_GAP_MS = 400;

/** A running server with the IDE in front of a GraphQL endpoint, and what it saw. */
interface IdeTestServer {
  /** Base URL, e.g. `http://127.0.0.1:12345`. */
  readonly url: string;
  /** Unique per server: job ids and event messages embed it, so results cannot be stale. */
  readonly runId: string;
  /** Authorization header of each GraphQL HTTP request (undefined when absent). */
  readonly httpAuthorizations: (string | undefined)[];
  /** connection_init payload of each graphql-ws connection. */
  readonly connectionInitPayloads: Readonly<Record<string, unknown>>[];
  close(): Promise<void>;
}

/**
 * Stands in for gateway/server.ts until it exists: Node http + Apollo Server 5 + graphql-ws on the
 * same port and path, the IDE handler first. Its schema mirrors the slice of the real API that the
 * IDE's example tabs use (`jobs`, `jobEvents`), so swapping in the real gateway changes only this.
 */
async function startIdeTestServer(): Promise<IdeTestServer> {
  const runId = randomUUID().slice(0, 8);
  const httpAuthorizations: (string | undefined)[] = [];
  const connectionInitPayloads: Readonly<Record<string, unknown>>[] = [];
  const schema = buildTestSchema(runId);

  const apollo = new ApolloServer({ schema, plugins: [ApolloServerPluginLandingPageDisabled()] });
  await apollo.start();
  const ide = createIdeHandler({ graphqlPath: GRAPHQL_PATH });

  const httpServer = createServer((req, res) => {
    if (ide(req, res)) return;
    if (pathOf(req.url) !== GRAPHQL_PATH) {
      res.writeHead(404).end();
      return;
    }
    httpAuthorizations.push(req.headers.authorization);
    executeWithApollo(apollo, req, res).catch((error: unknown) => {
      res.writeHead(500).end(String(error));
    });
  });
  const wsServer = new WebSocketServer({ server: httpServer, path: GRAPHQL_PATH });
  const wsCleanup = useServer(
    {
      schema,
      onConnect: (ctx) => {
        connectionInitPayloads.push(ctx.connectionParams ?? {});
      },
    },
    wsServer,
  );
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  const { port } = httpServer.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    runId,
    httpAuthorizations,
    connectionInitPayloads,
    async close() {
      await wsCleanup.dispose();
      await new Promise<void>((resolve) => wsServer.close(() => resolve()));
      await apollo.stop();
      httpServer.closeAllConnections();
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
    },
  };
}

function buildTestSchema(runId: string): GraphQLSchema {
  const Job = new GraphQLObjectType({
    name: 'Job',
    fields: {
      id: { type: new GraphQLNonNull(GraphQLString) },
      status: { type: GraphQLString },
      stage: { type: GraphQLString },
      progress: { type: GraphQLInt },
    },
  });
  const JobEdge = new GraphQLObjectType({ name: 'JobEdge', fields: { node: { type: Job } } });
  const JobConnection = new GraphQLObjectType({
    name: 'JobConnection',
    fields: { edges: { type: new GraphQLList(JobEdge) } },
  });
  const JobEvent = new GraphQLObjectType({
    name: 'JobEvent',
    fields: {
      job: { type: Job },
      stage: { type: GraphQLString },
      status: { type: GraphQLString },
      progress: { type: GraphQLInt },
      message: { type: GraphQLString },
    },
  });
  const job = (index: number) => ({ id: `job-${runId}-${index}`, status: 'RUNNING', stage: 'CHUNK', progress: 10 * index });
  return new GraphQLSchema({
    query: new GraphQLObjectType({
      name: 'Query',
      fields: {
        jobs: {
          type: JobConnection,
          args: { first: { type: GraphQLInt } },
          resolve: (_root, args: { first?: number | null }) => ({
            edges: Array.from({ length: args.first ?? 5 }, (_, index) => ({ node: job(index + 1) })),
          }),
        },
      },
    }),
    subscription: new GraphQLObjectType({
      name: 'Subscription',
      fields: {
        jobEvents: {
          type: JobEvent,
          subscribe: async function* () {
            for (let index = 1; index <= EVENT_COUNT; index += 1) {
              if (index > 1) await new Promise((resolve) => setTimeout(resolve, EVENT_GAP_MS));
              yield {
                jobEvents: {
                  job: job(1),
                  stage: 'EMBED',
                  status: 'RUNNING',
                  progress: index,
                  message: `event ${index} of ${EVENT_COUNT} in run ${runId}`,
                },
              };
            }
          },
        },
      },
    }),
  });
}

/** The documented shape of an Apollo Server integration: HTTPGraphQLRequest in, response out. */
async function executeWithApollo(apollo: ApolloServer, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  const headers = new HeaderMap();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  const response = await apollo.executeHTTPGraphQLRequest({
    httpGraphQLRequest: {
      method: req.method ?? 'GET',
      headers,
      search: new URL(req.url ?? '/', 'http://localhost').search,
      body: text === '' ? undefined : (JSON.parse(text) as unknown),
    },
    context: async () => ({}),
  });
  for (const [name, value] of response.headers) res.setHeader(name, value);
  res.statusCode = response.status ?? 200;
  if (response.body.kind === 'complete') {
    res.end(response.body.string);
    return;
  }
  for await (const chunk of response.body.asyncIterator) res.write(chunk);
  res.end();
}

function pathOf(url: string | undefined): string {
  return new URL(url ?? '/', 'http://localhost').pathname;
}

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

/** The visible editor of GraphiQL's Variables/Headers pane. */
const HEADERS_EDITOR = '.graphiql-editor-tool .graphiql-editor:not(.hidden)';
const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

describe('GraphQL IDE handler over HTTP', () => {
  let server: IdeTestServer;
  before(async () => {
    server = await startIdeTestServer();
  });
  after(async () => {
    await server?.close();
  });

  it('when a browser asks for the GraphQL path / should serve the page with a CSP and no inline script', async () => {
    const page = await get(server.url + GRAPHQL_PATH, { accept: BROWSER_ACCEPT });
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
    const root = await get(server.url + '/', { accept: BROWSER_ACCEPT });
    assert.equal(root.status, 302);
    assert.equal(root.headers.location, GRAPHQL_PATH);
  });

  it('when a client asks for JSON on the GraphQL path / should leave the request to Apollo', async () => {
    const api = await get(`${server.url}${GRAPHQL_PATH}?query=${encodeURIComponent('{ jobs(first: 1) { edges { node { id } } } }')}`, {
      accept: 'application/json',
      'apollo-require-preflight': 'true',
    });
    assert.equal(api.status, 200);
    assert.match(api.body, new RegExp(`job-${server.runId}-1`));
  });

  it('when the page links its assets / should serve each with its content type and immutable caching', async () => {
    const page = await get(server.url + GRAPHQL_PATH, { accept: BROWSER_ACCEPT });
    const links = [...page.body.matchAll(/(?:src|href)="(\/ide\/[^"]+)"/g)].map((match) => match[1] ?? '');
    assert.ok(links.length >= 6, `expected css, react, react-dom, graphql-ws, graphiql and boot script, got ${links.join(', ')}`);
    for (const link of links) {
      const asset = await get(server.url + link, { 'accept-encoding': 'identity' });
      assert.equal(asset.status, 200, link);
      assert.match(String(asset.headers['content-type']), link.endsWith('.css') ? /^text\/css/ : /^text\/javascript/, link);
      assert.match(String(asset.headers['cache-control']), /immutable/, link);
      const revalidated = await get(server.url + link, { 'if-none-match': String(asset.headers.etag) });
      assert.equal(revalidated.status, 304, link);
    }
  });

  it('when a path under /ide/ is unknown / should answer 404', async () => {
    const missing = await get(`${server.url}/ide/nope/graphiql.min.js`);
    assert.equal(missing.status, 404);
  });
});

const skipReason = existsSync(CHROMIUM) ? undefined : `${CHROMIUM} is missing (apt-get install -y chromium); CI installs it`;

describe('GraphQL IDE in a headless browser', function () {
  this.timeout(60_000);
  let server: IdeTestServer;
  let browser: Browser;
  let page: Page;
  const requestedUrls: string[] = [];
  const consoleErrors: string[] = [];
  let token: string;

  before(async function () {
    if (skipReason !== undefined) {
      console.log(`      skipped: ${skipReason}`);
      this.skip();
    }
    server = await startIdeTestServer();
    token = `Bearer test-${server.runId}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage();
    page.on('request', (request) => requestedUrls.push(request.url()));
    // WebSockets are not 'request' events; record them too so the host check covers them.
    page.on('websocket', (socket) => requestedUrls.push(socket.url()));
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(error.message));
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it('when the IDE loads / should fetch everything from 127.0.0.1 and log no errors', async () => {
    await page.goto(server.url + '/');
    assert.equal(new URL(page.url()).pathname, GRAPHQL_PATH, 'the root redirects to the GraphQL path');
    await page.locator('.graphiql-container').waitFor();
    // The schema arrives by introspection over HTTP; the docs button becomes usable after it.
    await page.waitForFunction(() => document.querySelectorAll('.graphiql-tab').length === 2);
    await waitUntil(() => server.httpAuthorizations.length > 0, 'schema introspection request');
    await page.getByRole('button', { name: 'Headers' }).click();
    assert.match(await editorValue(page, HEADERS_EDITOR), new RegExp(escapeRegExp(AUTHORIZATION_PLACEHOLDER)));
    await page.waitForLoadState('networkidle');
    const expectedHost = new URL(server.url).host;
    const foreign = requestedUrls.filter((url) => {
      const parsed = new URL(url);
      return parsed.protocol !== 'data:' && parsed.host !== expectedHost;
    });
    assert.deepEqual(foreign, [], 'every request stays on 127.0.0.1');
    assert.ok(requestedUrls.some((url) => url.includes('/ide/')), 'assets come from /ide/');
    assert.deepEqual(consoleErrors, []);
    assert.ok(
      server.httpAuthorizations.every((value) => value === undefined),
      `the untouched "${AUTHORIZATION_PLACEHOLDER}" hint is not sent`,
    );
  });

  it('when a query is typed and run with an Authorization header / should show its result and send the header', async () => {
    await setEditor(page, '.graphiql-query-editor', '{ jobs(first: 2) { edges { node { id progress } } } }');
    await setHeaders(page, JSON.stringify({ Authorization: token }));
    const before = server.httpAuthorizations.length;
    await page.locator('.graphiql-execute-button').click();
    await waitUntil(async () => (await readResult(page)).includes(`job-${server.runId}-2`), 'the query result');
    const result = JSON.parse(await readResult(page)) as { data?: { jobs?: { edges?: { node?: { id?: string } }[] } } };
    assert.deepEqual(
      result.data?.jobs?.edges?.map((edge) => edge.node?.id),
      [`job-${server.runId}-1`, `job-${server.runId}-2`],
    );
    assert.ok(server.httpAuthorizations.slice(before).includes(token), `HTTP saw ${JSON.stringify(server.httpAuthorizations)}`);
  });

  it('when the preloaded subscription runs / should show its events and send the header in connection_init', async () => {
    await page.locator('.graphiql-tab').nth(1).locator('.graphiql-tab-button').click();
    const subscription = await editorValue(page, '.graphiql-query-editor');
    assert.match(subscription, /subscription[\s\S]*jobEvents/, 'the second tab holds the example subscription');
    // Headers belong to each tab in GraphiQL 3, so this tab needs its own.
    await setHeaders(page, JSON.stringify({ Authorization: token }));
    await page.locator('.graphiql-execute-button').click();

    const seen = new Set<string>();
    const last = `event ${EVENT_COUNT} of ${EVENT_COUNT} in run ${server.runId}`;
    await waitUntil(async () => {
      const text = await readResult(page);
      const message = /"message": "([^"]+)"/.exec(text)?.[1];
      if (message !== undefined) seen.add(message);
      return seen.has(last);
    }, 'the last subscription event in the result pane');
    assert.ok(seen.size >= 2, `expected several events to be shown, saw ${[...seen].join(' | ')}`);
    assert.ok([...seen].every((message) => message.endsWith(`in run ${server.runId}`)));
    assert.deepEqual(server.connectionInitPayloads.at(-1), { Authorization: token });
    const sockets = requestedUrls.filter((url) => url.startsWith('ws'));
    assert.deepEqual(sockets, [`ws://${new URL(server.url).host}${GRAPHQL_PATH}`]);
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
