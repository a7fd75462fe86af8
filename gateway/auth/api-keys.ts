/**
 * API keys: random tokens handed to clients once, stored by the gateway only as SHA-256 hashes.
 * Each key has a name, the collections it may use (or all) and its roles.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { COLLECTION_NAME } from '../../schema/domain.ts';

export const ROLES = ['ingest', 'search', 'admin'] as const;
/** What a key may do: `ingest` (write, cancel, read its jobs), `search` (search, documents, jobs), `admin` (everything). */
export type Role = (typeof ROLES)[number];

/** One configured key, as written in API_KEYS / API_KEYS_FILE. */
export interface ApiKeyEntry {
  readonly name: string;
  /** `sha256:<64 hex>` of the key. */
  readonly hash: string;
  /** The collections the key may use, or '*' for all. */
  readonly collections: '*' | readonly string[];
  readonly roles: readonly Role[];
}

const HASH = /^sha256:[0-9a-f]{64}$/;

const entrySchema = z.object({
  name: z.string().min(1).max(100),
  hash: z.string().regex(HASH, 'must be "sha256:" followed by 64 lower-case hex digits (npm run keygen prints it)'),
  collections: z.union([z.literal('*'), z.array(z.string().regex(COLLECTION_NAME, 'collection names match [a-z0-9_-]{1,64}')).min(1)]),
  roles: z.array(z.enum(ROLES)).min(1),
}).strict();

/** Checks a parsed key list; the error names the source, the entry and the field. */
export function parseApiKeyEntries(value: unknown, source: string): ApiKeyEntry[] {
  const list = value !== null && typeof value === 'object' && !Array.isArray(value) && 'keys' in value ? (value as { keys: unknown }).keys : value;
  if (!Array.isArray(list)) throw new Error(`${source}: expected a list of API keys (or { keys: [...] }), got ${typeof list}`);
  return list.map((item, index) => {
    const result = entrySchema.safeParse(item);
    if (!result.success) {
      const issue = result.error.issues[0]!;
      throw new Error(`${source}: keys.${index}.${issue.path.join('.')}: ${issue.message}`);
    }
    return result.data;
  });
}

/** A new key: 32 random bytes, base64url. Shown once; only its hash is kept. */
export function generateApiKey(): string {
  return randomBytes(32).toString('base64url');
}

/** `sha256:<hex>` of a key, the form stored in the configuration. */
export function hashApiKey(key: string): string {
  return `sha256:${createHash('sha256').update(key, 'utf8').digest('hex')}`;
}

/** The configured keys, looked up by the key a client presents. */
export class KeyRing {
  private readonly digests: readonly { entry: ApiKeyEntry; digest: Buffer }[];

  constructor(entries: readonly ApiKeyEntry[]) {
    const names = new Set<string>();
    for (const entry of entries) {
      if (names.has(entry.name)) throw new Error(`API key name "${entry.name}" is used twice: key names must be unique`);
      names.add(entry.name);
    }
    this.digests = entries.map((entry) => ({ entry, digest: Buffer.from(entry.hash.slice('sha256:'.length), 'hex') }));
  }

  /** True when no key is configured: the gateway is open. */
  get open(): boolean {
    return this.digests.length === 0;
  }

  get size(): number {
    return this.digests.length;
  }

  /** The entry whose hash matches `key`, or null. Compares every entry in constant time. */
  find(key: string): ApiKeyEntry | null {
    const digest = createHash('sha256').update(key, 'utf8').digest();
    let found: ApiKeyEntry | null = null;
    for (const candidate of this.digests) {
      if (timingSafeEqual(candidate.digest, digest) && found === null) found = candidate.entry;
    }
    return found;
  }
}
