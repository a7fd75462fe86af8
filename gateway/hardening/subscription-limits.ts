/**
 * How many operations WebSocket clients may run at once (issue 12, finding 6): one socket
 * once held 5,000 `jobEvents` subscriptions, so one ingest pushed 35,000 messages.
 * graphql-ws keeps each socket's running operations in `ctx.subscriptions` (the new one is
 * already there when `onSubscribe` runs, and it removes each when it ends or the socket
 * closes), so counting them needs no bookkeeping of its own that could drift.
 */
import type { GraphQLError } from 'graphql';
import { ErrorCode, apiError } from '../errors.ts';

/** What is counted of one socket: graphql-ws's context. */
export interface SocketOperations {
  readonly subscriptions: Readonly<Record<string, unknown>>;
}

export interface SubscriptionLimitOptions {
  /** MAX_SUBSCRIPTIONS_PER_SOCKET */
  readonly perSocket: number;
  /** MAX_SUBSCRIPTIONS_PER_KEY */
  readonly perKey: number;
}

export class SubscriptionLimits {
  /** The open sockets of each API key (by key name). */
  private readonly sockets = new Map<string, Set<SocketOperations>>();

  constructor(private readonly options: SubscriptionLimitOptions) {}

  /** A socket of `key` was accepted. */
  opened(key: string, socket: SocketOperations): void {
    const sockets = this.sockets.get(key) ?? new Set();
    sockets.add(socket);
    this.sockets.set(key, sockets);
  }

  closed(key: string, socket: SocketOperations): void {
    const sockets = this.sockets.get(key);
    sockets?.delete(socket);
    if (sockets?.size === 0) this.sockets.delete(key);
  }

  /** The refusal of the operation just added to `socket`, or null when it is within both limits. */
  refusal(key: string, socket: SocketOperations): GraphQLError | null {
    const { perSocket, perKey } = this.options;
    if (Object.keys(socket.subscriptions).length > perSocket) {
      return apiError(ErrorCode.LIMIT_EXCEEDED,
        `this WebSocket already runs ${perSocket} operations, its most (MAX_SUBSCRIPTIONS_PER_SOCKET): complete one first`,
        { limit: 'MAX_SUBSCRIPTIONS_PER_SOCKET', max: perSocket });
    }
    let total = 0;
    for (const other of this.sockets.get(key) ?? []) total += Object.keys(other.subscriptions).length;
    if (total > perKey) {
      return apiError(ErrorCode.LIMIT_EXCEEDED,
        `API key "${key}" already runs ${perKey} operations over WebSockets, its most (MAX_SUBSCRIPTIONS_PER_KEY): complete one first`,
        { limit: 'MAX_SUBSCRIPTIONS_PER_KEY', max: perKey });
    }
    return null;
  }
}
