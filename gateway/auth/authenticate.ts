/**
 * Turns what a client presented (HTTP Authorization header, graphql-ws connection_init payload)
 * into a Principal, and guards open mode (no keys configured) to loopback addresses.
 */
import ipaddr from 'ipaddr.js';
import { HeaderMap } from '@apollo/server';
import { GraphQLError } from 'graphql';
import { ErrorCode } from '../errors.ts';
import type { KeyRing } from './api-keys.ts';
import { OPEN_PRINCIPAL, bearerToken, principalOf, type Principal } from './principal.ts';

/** The outcome of authenticating: a principal, or why there is none. */
export type Authentication =
  | { readonly ok: true; readonly principal: Principal }
  | { readonly ok: false; readonly reason: 'missing' | 'unknown' };

export function authenticate(keys: KeyRing, authorization: unknown): Authentication {
  if (keys.open) return { ok: true, principal: OPEN_PRINCIPAL };
  const token = bearerToken(authorization);
  if (token === null) return { ok: false, reason: 'missing' };
  const entry = keys.find(token);
  return entry ? { ok: true, principal: principalOf(entry) } : { ok: false, reason: 'unknown' };
}

/** The principal of an HTTP request, or an UNAUTHENTICATED error answered with status 401. */
export function authenticateHttp(keys: KeyRing, authorization: string | string[] | undefined): Principal {
  const result = authenticate(keys, Array.isArray(authorization) ? authorization[0] : authorization);
  if (result.ok) return result.principal;
  const headers = new HeaderMap([['www-authenticate', 'Bearer']]);
  throw new GraphQLError(
    result.reason === 'missing'
      ? 'a valid API key is required: send "Authorization: Bearer <key>"'
      : 'the API key is not known: check it, or create one with npm run keygen',
    { extensions: { code: ErrorCode.UNAUTHENTICATED, http: { status: 401, headers } } },
  );
}

/** The Authorization value of a graphql-ws connection_init payload (either case). */
export function connectionAuthorization(params: Readonly<Record<string, unknown>> | undefined): unknown {
  return params?.Authorization ?? params?.authorization;
}

/** True for 'localhost' and loopback IP addresses (127.0.0.0/8, ::1, IPv4-mapped loopback). */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  const bare = host.replace(/^\[|\]$/g, '');
  if (!ipaddr.isValid(bare)) return false;
  let address = ipaddr.parse(bare);
  if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress()) address = (address as ipaddr.IPv6).toIPv4Address();
  return address.range() === 'loopback';
}

/** Open mode is for a developer's machine: refuse to listen elsewhere without keys. */
export function assertSafeToListen(keys: KeyRing, host: string): void {
  if (keys.open && !isLoopbackHost(host)) {
    throw new Error(
      `HOST=${host} is not a loopback address and no API keys are configured, so anyone on the network could ` +
      'read and write everything: configure keys with API_KEYS or API_KEYS_FILE (create one with npm run keygen), ' +
      'or listen on HOST=127.0.0.1',
    );
  }
}
