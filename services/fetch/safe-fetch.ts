/**
 * Fetches a document by URL without letting the URL reach inside the network (SSRF).
 *
 * Every hop (the first URL and each redirect) is resolved here, every resolved address is checked
 * by the address policy before any connection, and the socket is pinned to the checked addresses
 * through `lookup`, so a DNS answer that changes between check and connect (rebinding) is never
 * used. Host header and TLS servername stay the URL's host name, so virtual hosts and certificate
 * checks work as usual.
 */
import { untilAborted } from '../../messaging/until-aborted.ts';
import { promises as dns, type LookupAddress } from 'node:dns';
import * as http from 'node:http';
import * as https from 'node:https';
import { isIP } from 'node:net';
import { DEFAULTS } from '../../config/config.ts';
import { checkAddress, parseAllowList, type AllowList } from './address-policy.ts';
import { PermanentError, RetryableError } from '../../messaging/errors.ts';

/** Limits for fetching a document by URL (FETCH_* settings; defaults in config/, gathered in DEFAULT_FETCH_OPTIONS). */
export interface FetchOptions {
  /** The whole request, body included. */
  readonly timeoutMs: number;
  readonly maxBytes: number;
  readonly maxRedirects: number;
  /** CIDRs and hosts permitted despite the address policy. */
  readonly allowList: readonly string[];
  readonly userAgent: string;
  /** Host resolution; defaults to dns.promises.lookup(host, { all: true }). Injected in tests. */
  readonly resolve?: (host: string) => Promise<readonly string[]>;
}

export const DEFAULT_FETCH_OPTIONS: FetchOptions = {
  timeoutMs: DEFAULTS.fetchTimeoutMs,
  maxBytes: DEFAULTS.fetchMaxBytes,
  maxRedirects: DEFAULTS.fetchMaxRedirects,
  allowList: [],
  userAgent: 'rag-ingest/0.1',
};

/** A fetched document: its bytes, its media type (lower-case, no parameters) and the URL after redirects. */
export interface FetchedDocument {
  readonly bytes: Uint8Array;
  readonly mimeType: string | null;
  readonly finalUrl: string;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const ALLOW_HINT = 'allow it with FETCH_ALLOW_LIST';

/** DNS failures that say the name does not exist (or has no address): retrying will not help. */
const PERMANENT_DNS_CODES = new Set(['ENOTFOUND', 'ENODATA', 'ENONAME']);
/** TLS failures that a retry within minutes will not fix. */
const PERMANENT_TLS_CODES = new Set([
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/**
 * Fetches `url` within `options`' limits. Throws PermanentError for inputs that can never succeed
 * (refused address, bad scheme, too many redirects, size limit, HTTP 4xx but 408/429, unknown host)
 * and RetryableError for passing trouble (5xx, 408, 429, timeouts, resets, DNS hiccups). When
 * `signal` aborts, its reason is thrown as it is.
 */
export async function safeFetch(
  url: string,
  options: FetchOptions,
  signal?: AbortSignal,
): Promise<FetchedDocument> {
  let allowList: AllowList;
  try {
    allowList = parseAllowList(options.allowList);
  } catch (error) {
    throw new PermanentError(`cannot fetch ${url}: ${(error as Error).message} (check FETCH_ALLOW_LIST)`);
  }
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
  const seen = new Set<string>();
  let current = parseUrl(url);

  for (let redirects = 0; ; redirects++) {
    seen.add(current.href);
    try {
      const addresses = await checkedAddresses(current, options, allowList, combined);
      const hop = await requestOnce(current, addresses, options, combined);
      if (hop.kind === 'document') return hop.document;
      const next = parseUrl(hop.location, current);
      if (seen.has(next.href)) {
        throw new PermanentError(`redirect loop fetching ${url}: ${current.href} redirects back to ${next.href}`);
      }
      if (redirects + 1 > options.maxRedirects) {
        throw new PermanentError(
          `too many redirects fetching ${url}: more than maxRedirects (${options.maxRedirects}), last to ${next.href}`,
        );
      }
      current = next;
    } catch (error) {
      // The caller's abort (cancellation, shutdown) goes up untouched; only our timeout is ours.
      if (signal?.aborted) throw signal.reason;
      if (timeout.aborted) {
        throw new RetryableError(`timed out fetching ${current.href}: no complete response within ${options.timeoutMs} ms`, {
          cause: error,
        });
      }
      throw error;
    }
  }
}

type Hop = { kind: 'document'; document: FetchedDocument } | { kind: 'redirect'; location: string };

/** Parses a URL (relative to `base` for redirects) and refuses schemes other than http and https. */
function parseUrl(text: string, base?: URL): URL {
  let parsed: URL;
  try {
    parsed = new URL(text, base);
  } catch {
    const where = base ? ` (redirect from ${base.href})` : '';
    throw new PermanentError(`cannot fetch "${text}"${where}: not a valid URL`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new PermanentError(`cannot fetch ${parsed.href}: scheme "${parsed.protocol}" is not supported; use http: or https:`);
  }
  return parsed;
}

/** Resolves the URL's host and returns its addresses if the policy allows every one of them. */
async function checkedAddresses(
  url: URL,
  options: FetchOptions,
  allowList: AllowList,
  signal: AbortSignal,
): Promise<readonly string[]> {
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const addresses = isIP(host) !== 0 ? [host] : await resolveHost(url, host, options, signal);
  if (addresses.length === 0) {
    throw new PermanentError(`cannot fetch ${url.href}: host ${host} resolved to no address`);
  }
  // Every address must pass, not just the first: the connection may fall back to any of them.
  for (const address of addresses) {
    const decision = checkAddress(address, { allowList, hostname: host });
    if (!decision.allowed) throw new PermanentError(`refused ${url.href}: ${decision.reason}; ${ALLOW_HINT}`);
  }
  return addresses;
}

async function resolveHost(url: URL, host: string, options: FetchOptions, signal: AbortSignal): Promise<readonly string[]> {
  const resolve = options.resolve ?? defaultResolve;
  try {
    // dns.lookup cannot be cancelled; stop waiting for it when the signal fires.
    return await untilAborted(resolve(host), signal);
  } catch (error) {
    if (signal.aborted) throw error;
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
    const message = `cannot resolve ${host} for ${url.href}: ${code}`;
    throw PERMANENT_DNS_CODES.has(code)
      ? new PermanentError(`${message}; check the host name`, { cause: error })
      : new RetryableError(message, { cause: error });
  }
}

async function defaultResolve(host: string): Promise<readonly string[]> {
  const results = await dns.lookup(host, { all: true, verbatim: true });
  return results.map((result) => result.address);
}

/** One HTTP exchange with the socket pinned to `addresses`: a document, or where to go next. */
function requestOnce(url: URL, addresses: readonly string[], options: FetchOptions, signal: AbortSignal): Promise<Hop> {
  const pinned: LookupAddress[] = addresses.map((address) => ({ address, family: isIP(address) }));
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise<Hop>((resolve, reject) => {
    const request = transport.request(url, {
      method: 'GET',
      headers: { 'user-agent': options.userAgent, accept: '*/*', 'accept-encoding': 'identity' },
      // A fresh agent per request: a pooled keep-alive socket could be bound to an address that
      // was checked under another allow-list.
      agent: false,
      signal,
      lookup: (_hostname, lookupOptions, callback) => {
        const family = lookupOptions.family === 4 || lookupOptions.family === 6 ? lookupOptions.family : 0;
        const usable = pinned.filter((entry) => family === 0 || entry.family === family);
        const first = usable[0];
        if (first === undefined) {
          callback(Object.assign(new Error(`no checked IPv${family} address`), { code: 'ENOTFOUND' }), '', 0);
        } else if (lookupOptions.all) {
          (callback as unknown as (error: null, addresses: LookupAddress[]) => void)(null, usable);
        } else {
          callback(null, first.address, first.family);
        }
      },
    });
    request.on('error', (error) => reject(connectionError(url, error)));
    request.once('response', (response) => {
      handleResponse(url, response, options).then(resolve, (error: unknown) => {
        response.destroy();
        reject(error);
      });
    });
    request.end();
  });
}

async function handleResponse(url: URL, response: http.IncomingMessage, options: FetchOptions): Promise<Hop> {
  const status = response.statusCode ?? 0;
  if (REDIRECT_STATUSES.has(status)) {
    response.resume();
    const location = response.headers.location;
    if (!location) throw new PermanentError(`cannot fetch ${url.href}: HTTP ${status} redirect without a Location header`);
    return { kind: 'redirect', location };
  }
  if (status < 200 || status > 299) {
    response.resume();
    throw statusError(url, status, response.headers['retry-after']);
  }
  const declared = Number(response.headers['content-length']);
  if (Number.isFinite(declared) && declared > options.maxBytes) {
    throw sizeError(url, options.maxBytes, `Content-Length is ${declared} bytes`);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of response as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > options.maxBytes) throw sizeError(url, options.maxBytes, `body passed ${options.maxBytes} bytes`);
    chunks.push(chunk);
  }
  // 'aborted' without an error: the server closed the connection before the body was complete.
  if (!response.complete) throw new RetryableError(`cannot fetch ${url.href}: connection closed before the body was complete`);
  const body = Buffer.concat(chunks, total);
  return {
    kind: 'document',
    document: {
      bytes: new Uint8Array(body.buffer, body.byteOffset, body.byteLength),
      mimeType: mediaType(response.headers['content-type']),
      finalUrl: url.href,
    },
  };
}

function statusError(url: URL, status: number, retryAfter: string | undefined): Error {
  const message = `cannot fetch ${url.href}: HTTP ${status}`;
  if (status >= 500 || status === 408 || status === 429) {
    const hint = retryAfter ? ` (Retry-After: ${retryAfter})` : '';
    return new RetryableError(`${message}${hint}; will retry`);
  }
  return new PermanentError(`${message}; the server refuses this URL, check it`);
}

function sizeError(url: URL, maxBytes: number, detail: string): PermanentError {
  return new PermanentError(`cannot fetch ${url.href}: ${detail}, over maxBytes (${maxBytes}); raise the fetch size limit to accept it`);
}

/** Classifies a socket-level failure: certificate and unknown-host problems are permanent, the rest retry. */
function connectionError(url: URL, error: Error): Error {
  if (error instanceof PermanentError || error instanceof RetryableError) return error;
  const code = (error as NodeJS.ErrnoException).code ?? '';
  const message = `cannot fetch ${url.href}: ${code || error.message}`;
  if (PERMANENT_TLS_CODES.has(code)) return new PermanentError(`${message} (TLS certificate)`, { cause: error });
  if (PERMANENT_DNS_CODES.has(code)) return new PermanentError(message, { cause: error });
  return new RetryableError(message, { cause: error });
}

/** `Text/HTML; charset=UTF-8` → `text/html`; absent or empty → null. */
function mediaType(header: string | undefined): string | null {
  const type = header?.split(';')[0]?.trim().toLowerCase();
  return type ? type : null;
}
