/**
 * Which browsers may talk to the gateway (issue 12, finding 5).
 *
 * - Cross-site WebSocket hijacking: a page on any site can open a WebSocket to the gateway, and
 *   the browser does not stop it (WebSockets have no CORS). The `Origin` header the browser sets
 *   is checked instead: none (not a browser), the gateway's own origin, an `ALLOWED_ORIGINS`
 *   entry; in open mode (no API keys, so nothing else stands in the way) loopback origins only.
 * - DNS rebinding: a site can re-point its own name at 127.0.0.1 and so become "same origin"
 *   with an open gateway. In open mode only loopback names are answered, on HTTP and WebSocket.
 *
 * HTTP needs no Origin check of its own: Apollo's CSRF prevention refuses simple cross-site
 * requests and the gateway sends no CORS headers, so a browser never lets another site read
 * an answer or send JSON.
 */
import { isLoopbackHost } from '../auth/authenticate.ts';

/** What the checks need: whether the gateway is open, and ALLOWED_ORIGINS. */
export interface OriginPolicyOptions {
  readonly open: boolean;
  readonly allowedOrigins: readonly string[];
}

/** The host name of a `Host` header (without its port), or null when malformed. */
function hostName(host: string): string | null {
  try {
    return new URL(`http://${host}`).hostname;
  } catch {
    return null;
  }
}

/** Open mode cannot serve foreign origins: refuse such a configuration at start-up. */
export function assertSafeOrigins(options: OriginPolicyOptions): void {
  if (!options.open) return;
  const foreign = options.allowedOrigins.filter((origin) => origin === '*' || !isLoopbackHost(new URL(origin).hostname));
  if (foreign.length > 0) {
    throw new Error(
      `ALLOWED_ORIGINS lists ${foreign.join(', ')} but no API keys are configured: an open gateway accepts loopback ` +
      'origins only, or any page there could act for its visitor; configure keys with API_KEYS or API_KEYS_FILE',
    );
  }
}

/**
 * Host headers already judged: a client sends the same one on every request, and parsing it as a
 * URL and an address cost 4% of an open gateway's samples under ingest load. Bounded, so a client
 * sending ever new names only empties it.
 */
const loopbackHosts = new Map<string, boolean>();
const LOOPBACK_HOSTS_KEPT = 256;

function isLoopbackHostHeader(host: string): boolean {
  let loopback = loopbackHosts.get(host);
  if (loopback === undefined) {
    const name = hostName(host);
    loopback = name !== null && isLoopbackHost(name);
    if (loopbackHosts.size >= LOOPBACK_HOSTS_KEPT) loopbackHosts.clear();
    loopbackHosts.set(host, loopback);
  }
  return loopback;
}

/** Why a request's `Host` is refused (open mode, not a loopback name), or null. */
export function hostRefusal(options: OriginPolicyOptions, host: string | undefined): string | null {
  if (!options.open || host === undefined) return null;
  if (isLoopbackHostHeader(host)) return null;
  return `Host "${host}" is not a loopback name: a gateway without API keys answers only to localhost and loopback ` +
    'addresses (DNS rebinding protection); configure keys with API_KEYS or API_KEYS_FILE to serve other names';
}

/** Why a WebSocket handshake's `Origin` is refused, or null. */
export function originRefusal(options: OriginPolicyOptions, origin: string | undefined, host: string | undefined): string | null {
  // Browsers always send Origin on a WebSocket handshake; other clients act for nobody else.
  if (origin === undefined) return null;
  let url: URL | null = null;
  try { url = new URL(origin); } catch { /* "null" (sandboxed pages, files) or malformed: foreign */ }
  if (url !== null && url.origin !== 'null') {
    if (options.open) {
      if (isLoopbackHost(url.hostname)) return null;
    } else if (url.host === host || options.allowedOrigins.includes('*') || options.allowedOrigins.includes(url.origin)) {
      return null;
    }
  }
  return options.open
    ? `Origin ${origin} may not open a WebSocket: a gateway without API keys accepts pages from loopback origins only`
    : `Origin ${origin} may not open a WebSocket: add it to ALLOWED_ORIGINS`;
}
