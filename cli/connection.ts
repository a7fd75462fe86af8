/** Where the CLI sends its requests, and with which credentials. */

/** Default gateway address: the one `npm run gateway` listens on. */
export const DEFAULT_URL = 'http://127.0.0.1:4000/graphql';

/** The gateway to talk to. */
export interface Connection {
  /** GraphQL endpoint over HTTP; subscriptions use the same address with ws(s). */
  readonly url: string;
  /** Sent as `Authorization: Bearer <key>` and in graphql-ws connectionParams; none when absent. */
  readonly apiKey?: string;
}

/** Global options as commander parses them. */
export interface ConnectionOptions {
  readonly url?: string;
  readonly apiKey?: string;
}

/** Flags win over the environment (RAG_URL, RAG_API_KEY), which wins over the default. */
export function resolveConnection(options: ConnectionOptions, env: Readonly<Record<string, string | undefined>>): Connection {
  const url = options.url ?? (env.RAG_URL || DEFAULT_URL);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`--url / RAG_URL: "${url}" is not a URL; expected e.g. ${DEFAULT_URL}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new UsageError(`--url / RAG_URL: "${url}" must be http(s), e.g. ${DEFAULT_URL}`);
  }
  const apiKey = options.apiKey ?? (env.RAG_API_KEY || undefined);
  return apiKey === undefined ? { url } : { url, apiKey };
}

/** Headers for HTTP requests and connectionParams for graphql-ws: the same Authorization value. */
export function authorization(connection: Connection): { Authorization: string } | Record<string, never> {
  return connection.apiKey === undefined ? {} : { Authorization: `Bearer ${connection.apiKey}` };
}

/** A mistake in the command line itself; printed as `error: …`, exit code 1. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
