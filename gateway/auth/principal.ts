/** Who is calling: the API key a request presented, or the open principal when no key is configured. */
import type { ApiKeyEntry, Role } from './api-keys.ts';

/** The caller of one request or WebSocket connection. */
export interface Principal {
  /** The key's name (logged; never the key itself). */
  readonly name: string;
  /** The collections it may use, or '*' for all. */
  readonly collections: '*' | readonly string[];
  readonly roles: readonly Role[];
}

/** The caller when no key is configured (the gateway is open, loopback only): may do everything. */
export const OPEN_PRINCIPAL: Principal = { name: 'open', collections: '*', roles: ['ingest', 'search', 'admin'] };

export function principalOf(entry: ApiKeyEntry): Principal {
  return { name: entry.name, collections: entry.collections, roles: entry.roles };
}

/** Reads `Bearer <key>` from an Authorization value; null when absent or of another scheme. */
export function bearerToken(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(value.trim());
  return match ? match[1]! : null;
}
