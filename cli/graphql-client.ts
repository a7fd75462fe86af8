/**
 * The CLI's GraphQL client: queries and mutations over HTTP POST, subscriptions over graphql-ws,
 * both carrying the API key. Errors become GraphQLRequestError with each error's code.
 */
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { authorization, type Connection } from './connection.ts';

/** One error as the gateway reported it. */
export interface ApiError {
  readonly code: string;
  readonly message: string;
  /** BACKPRESSURE and UNAVAILABLE: when the gateway says to send again. */
  readonly retryAfterSeconds?: number;
  /** BACKPRESSURE on an ingest: the jobs accepted before the refusal (none: nothing was done). */
  readonly acceptedJobIds?: readonly string[];
}

/** The request failed: GraphQL errors, an HTTP error, or the gateway could not be reached. */
export class GraphQLRequestError extends Error {
  override readonly name = 'GraphQLRequestError';
  constructor(readonly errors: readonly ApiError[]) {
    super(errors.map((error) => `[${error.code}] ${error.message}`).join('; '));
  }

  /** Whether the server said the schema has no such field (an older or differently built gateway). */
  isMissingField(field: string): boolean {
    const missing = new RegExp(`Cannot query field "${field}" on type "(Query|Mutation|Subscription)"`);
    return this.errors.some((error) => missing.test(error.message));
  }
}

interface RawError {
  readonly message?: unknown;
  readonly extensions?: { readonly code?: unknown; readonly retryAfterSeconds?: unknown; readonly acceptedJobIds?: unknown };
}

/** A response's errors as the CLI reports them (code, message, and a refusal's retry hint and accepted jobs). */
export function toApiErrors(errors: readonly RawError[]): ApiError[] {
  return errors.map((error) => {
    const { retryAfterSeconds, acceptedJobIds } = error.extensions ?? {};
    return {
      code: typeof error.extensions?.code === 'string' ? error.extensions.code : 'GRAPHQL_ERROR',
      message: typeof error.message === 'string' ? error.message : JSON.stringify(error),
      ...(typeof retryAfterSeconds === 'number' ? { retryAfterSeconds } : {}),
      ...(Array.isArray(acceptedJobIds) && acceptedJobIds.every((id) => typeof id === 'string') ? { acceptedJobIds: acceptedJobIds as string[] } : {}),
    };
  });
}

/** Sends one operation over HTTP and returns its data, or throws GraphQLRequestError. */
export async function request<T>(connection: Connection, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  let response: Response;
  try {
    response = await fetch(connection.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...authorization(connection) },
      body: JSON.stringify({ query, variables }),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new GraphQLRequestError([{
      code: 'UNREACHABLE',
      message: `cannot reach the gateway at ${connection.url} (${cause?.code ?? cause?.message ?? String(error)}); start it with \`npm run gateway\` or point RAG_URL / --url at it`,
    }]);
  }
  const text = await response.text();
  let body: { data?: T | null; errors?: RawError[] };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    throw new GraphQLRequestError([{ code: `HTTP_${response.status}`, message: `the gateway answered ${response.status} ${response.statusText} with no GraphQL response: ${text.slice(0, 200)}` }]);
  }
  if (body.errors !== undefined && body.errors.length > 0) throw new GraphQLRequestError(toApiErrors(body.errors));
  if (body.data === undefined || body.data === null) {
    throw new GraphQLRequestError([{ code: `HTTP_${response.status}`, message: 'the gateway answered with neither data nor errors' }]);
  }
  return body.data;
}

/** A graphql-ws client for the connection; the caller disposes it. */
export function subscriptionClient(connection: Connection): Client {
  return createClient({
    url: connection.url.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: authorization(connection),
    // Open at once, so the caller can wait for `connected` before it starts work it must not miss.
    lazy: false,
  });
}

/** Handlers of one subscription. */
export interface SubscriptionHandlers<T> {
  next(data: T): void;
  /** The stream failed for good (the client gave up reconnecting, or the server sent errors). */
  error(error: GraphQLRequestError): void;
  complete?(): void;
}

/** Subscribes; returns the function that ends the subscription. */
export function subscribe<T>(client: Client, query: string, variables: Record<string, unknown>, handlers: SubscriptionHandlers<T>): () => void {
  return client.subscribe<T>({ query, variables }, {
    next: (value) => {
      if (value.errors !== undefined && value.errors.length > 0) handlers.error(new GraphQLRequestError(toApiErrors(value.errors as RawError[])));
      else if (value.data !== undefined && value.data !== null) handlers.next(value.data);
    },
    error: (error) => handlers.error(subscriptionError(error)),
    complete: () => handlers.complete?.(),
  });
}

/** graphql-ws reports errors as GraphQL error lists, close events or plain errors. */
function subscriptionError(error: unknown): GraphQLRequestError {
  if (Array.isArray(error)) return new GraphQLRequestError(toApiErrors(error as RawError[]));
  if (error instanceof Error) return new GraphQLRequestError([{ code: 'UNREACHABLE', message: `subscription failed: ${error.message}` }]);
  const close = error as { code?: number; reason?: string };
  if (typeof close.code === 'number') {
    return new GraphQLRequestError([{ code: 'CONNECTION_CLOSED', message: `the gateway closed the subscription socket (${close.code} ${close.reason ?? ''})`.trim() }]);
  }
  return new GraphQLRequestError([{ code: 'SUBSCRIPTION_ERROR', message: JSON.stringify(error) }]);
}

/** Waits until the client's socket is open and acknowledged, or fails after `timeoutMs`. */
export function connected(client: Client, connection: Connection, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new GraphQLRequestError([{ code: 'UNREACHABLE', message: `no subscription connection to ${connection.url} within ${timeoutMs} ms` }]));
    }, timeoutMs);
    timer.unref();
    const offConnected = client.on('connected', () => {
      stop();
      resolve();
    });
    const stop = () => {
      clearTimeout(timer);
      offConnected();
    };
  });
}
