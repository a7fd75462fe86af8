import type { IncomingMessage, ServerResponse } from 'node:http';
import { loadIdeAssets, type IdeAsset } from './ide-assets.ts';
import { buildIdePage, idePageCsp } from './ide-page.ts';

/** Options of the GraphQL IDE served by the gateway. */
export interface IdeHandlerOptions {
  /** Path of the GraphQL endpoint, e.g. `/graphql`; the IDE is served there to browsers. */
  readonly graphqlPath: string;
}

/** Serves the request and returns true, or returns false and leaves it to the next handler. */
export type IdeHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

const ASSET_PREFIX = '/ide/';
/** Asset URLs carry their content hash, so a cached copy can never be stale. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** Hosts we are willing to echo into the CSP header: name or IP, optional port, no other syntax. */
const SAFE_HOST = /^[A-Za-z0-9.\-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/;

/**
 * Creates the request handler for the offline GraphQL IDE (GraphiQL 3). Call it first in the
 * gateway's HTTP handler. It answers:
 * - `GET|HEAD <graphqlPath>` from a browser (Accept prefers text/html): the IDE page;
 * - `GET|HEAD /` from a browser: a redirect to `<graphqlPath>`;
 * - anything under `/ide/`: the IDE's static files from node_modules, or 404 / 405.
 * Everything else (GraphQL POSTs, GET with JSON Accept, WebSocket upgrades) returns false.
 * Reads all files at creation, so a missing package fails at start-up with an install hint.
 */
export function createIdeHandler(options: IdeHandlerOptions): IdeHandler {
  if (!options.graphqlPath.startsWith('/') || options.graphqlPath.startsWith(ASSET_PREFIX)) {
    throw new Error(`createIdeHandler: graphqlPath must start with "/" and not with "${ASSET_PREFIX}", got "${options.graphqlPath}"`);
  }
  const assets = loadIdeAssets();
  const page = Buffer.from(buildIdePage({ ...options, assets }));

  return (req, res) => {
    const path = pathOf(req.url);
    const readOnly = req.method === 'GET' || req.method === 'HEAD';
    if (path.startsWith(ASSET_PREFIX)) {
      if (!readOnly) send(res, 405, { allow: 'GET, HEAD' }, 'Method Not Allowed');
      else serveAsset(req, res, assets.byPath.get(path));
      return true;
    }
    if (!readOnly || !prefersHtml(req.headers.accept)) return false;
    if (path === options.graphqlPath) {
      servePage(req, res, page);
      return true;
    }
    if (path === '/') {
      send(res, 302, { location: options.graphqlPath }, '');
      return true;
    }
    return false;
  };
}

function servePage(req: IncomingMessage, res: ServerResponse, page: Buffer): void {
  const host = req.headers.host;
  const csp = idePageCsp(host !== undefined && SAFE_HOST.test(host) ? host : undefined);
  res.writeHead(200, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': page.length,
    // The page itself is tiny; revalidating it lets a new deployment's asset hashes take effect.
    'cache-control': 'no-cache',
    'content-security-policy': csp,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  });
  res.end(req.method === 'HEAD' ? undefined : page);
}

function serveAsset(req: IncomingMessage, res: ServerResponse, asset: IdeAsset | undefined): void {
  if (asset === undefined) {
    send(res, 404, {}, 'Not Found');
    return;
  }
  const common = { etag: asset.etag, 'cache-control': IMMUTABLE, vary: 'accept-encoding' };
  if (req.headers['if-none-match'] === asset.etag) {
    res.writeHead(304, common).end();
    return;
  }
  const gzip = acceptsGzip(req.headers['accept-encoding']);
  const body = gzip ? asset.gzipped : asset.body;
  res.writeHead(200, {
    ...common,
    'content-type': asset.contentType,
    'content-length': body.length,
    'x-content-type-options': 'nosniff',
    ...(gzip ? { 'content-encoding': 'gzip' } : {}),
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

function send(res: ServerResponse, status: number, headers: Record<string, string>, text: string): void {
  res.writeHead(status, { ...headers, 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function pathOf(url: string | undefined): string {
  const end = (url ?? '/').search(/[?#]/);
  return end === -1 ? (url ?? '/') : (url ?? '/').slice(0, end);
}

/**
 * True when text/html ranks strictly above JSON in the Accept header, the rule Apollo Server uses
 * for its own landing page: a browser navigation gets the IDE, curl's `*\/*` and GraphQL clients
 * get the API. Each type takes the quality of its most specific matching range (RFC 9110 §12.5.1).
 */
function prefersHtml(accept: string | undefined): boolean {
  if (accept === undefined || accept === '') return false;
  const ranges = accept.split(',').map((part) => {
    const [range = '', ...params] = part.split(';').map((piece) => piece.trim().toLowerCase());
    const q = params.find((param) => param.startsWith('q='));
    return { range, q: q === undefined ? 1 : Number(q.slice(2)) || 0 };
  });
  const quality = (type: string): number => {
    const [major] = type.split('/');
    const match =
      ranges.find((r) => r.range === type) ?? ranges.find((r) => r.range === `${major}/*`) ?? ranges.find((r) => r.range === '*/*');
    return match?.q ?? 0;
  };
  const html = quality('text/html');
  return html > 0 && html > quality('application/json') && html > quality('application/graphql-response+json');
}

function acceptsGzip(acceptEncoding: string | undefined): boolean {
  return (acceptEncoding ?? '').split(',').some((part) => {
    const [coding = '', ...params] = part.split(';').map((piece) => piece.trim().toLowerCase());
    return (coding === 'gzip' || coding === '*') && !params.includes('q=0');
  });
}
