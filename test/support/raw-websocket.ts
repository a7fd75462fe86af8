/**
 * A graphql-transport-ws socket driven message by message, for tests that need what
 * graphql-ws's client hides: the handshake's HTTP status, close codes, raw frames, a paused reader.
 */
import { GRAPHQL_TRANSPORT_WS_PROTOCOL } from 'graphql-ws';
import WebSocket from 'ws';

export interface Closed { readonly closed: true; readonly code: number; readonly reason: string }
/** A message received from the gateway (connection_ack, next, error, complete, pong). */
export interface Received { readonly closed?: false; readonly type: string; readonly id?: string; readonly payload?: any }

export class RawSocket {
  readonly received: Received[] = [];
  readonly closed: Promise<Closed>;
  private readonly waiters = new Set<() => void>();
  private closedWith: Closed | null = null;

  private constructor(readonly socket: WebSocket) {
    this.closed = new Promise((resolve) => socket.once('close', (code, reason) => {
      this.closedWith = { closed: true, code, reason: reason.toString() };
      resolve(this.closedWith);
      this.wake();
    }));
    socket.on('message', (data) => { this.received.push(JSON.parse(data.toString())); this.wake(); });
    socket.on('error', () => {}); // the close event reports the outcome
  }

  /**
   * Opens a socket on the gateway's GraphQL path; resolves with the HTTP status when the
   * handshake is refused.
   */
  static open(httpUrl: string, headers: Record<string, string> = {}): Promise<RawSocket | { readonly status: number; readonly body: string }> {
    const socket = new WebSocket(httpUrl.replace(/^http/, 'ws'), GRAPHQL_TRANSPORT_WS_PROTOCOL, { headers });
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(new RawSocket(socket)));
      socket.once('unexpected-response', (_request, response) => {
        let body = '';
        response.on('data', (part: Buffer) => { body += part.toString(); });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      });
      socket.once('error', reject);
    });
  }

  /** Opens a socket that must be accepted. */
  static async connect(httpUrl: string, headers: Record<string, string> = {}): Promise<RawSocket> {
    const opened = await RawSocket.open(httpUrl, headers);
    if (!(opened instanceof RawSocket)) throw new Error(`handshake refused with ${opened.status}: ${opened.body}`);
    return opened;
  }

  send(message: unknown): void {
    this.socket.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** Sends connection_init and waits for connection_ack (or the close). */
  async init(payload: Record<string, unknown> = {}): Promise<Received | Closed> {
    this.send({ type: 'connection_init', payload });
    return this.waitFor((message) => message.type === 'connection_ack');
  }

  subscribe(id: string, query: string, variables: Record<string, unknown> = {}): void {
    this.send({ id, type: 'subscribe', payload: { query, variables } });
  }

  /** The first received message matching `predicate`, or the close, whichever comes first. */
  waitFor(predicate: (message: Received) => boolean, timeoutMs = 20_000): Promise<Received | Closed> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.received.find(predicate) ?? this.closedWith;
        if (!found) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(found);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`no matching message in ${timeoutMs} ms; received ${JSON.stringify(this.received).slice(0, 500)}`));
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }

  /** The errors of operation `id` (its `error` message, or the errors of its first `next`). */
  async result(id: string): Promise<{ readonly closed?: false; readonly data?: any; readonly errors?: any[] } | Closed> {
    const message = await this.waitFor((received) => received.id === id && (received.type === 'error' || received.type === 'next'));
    if (message.closed) return message;
    return message.type === 'error' ? { errors: message.payload } : message.payload;
  }

  close(): void {
    this.socket.terminate();
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}
