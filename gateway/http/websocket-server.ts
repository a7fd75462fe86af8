/**
 * graphql-ws on the HTTP server's GraphQL path, through `ws`, within the transport limits of
 * issue 12: a handshake is refused when `guard` says so (Origin, Host); a message may be
 * MAX_WS_INIT_BYTES until connection_init is accepted and MAX_BODY_BYTES after, and a larger one
 * is refused (1009) from its frame header, before it is read; a socket whose reader falls more
 * than MAX_WS_BUFFERED_BYTES behind is disconnected. What a socket receives is taken from the
 * gateway's budget of request bytes (MAX_REQUEST_BYTES_HELD) as it arrives and given back once
 * the message it belongs to has been handled; a socket whose bytes do not fit is closed with 1013.
 *
 * A thin adapter over graphql-ws's protocol core (`makeServer`), like graphql-ws/use/ws, whose
 * `send` waits until each message has reached the kernel: a reader that stops reading then
 * leaves events queued inside the gateway, unbounded and out of sight. Here each message goes to
 * the socket's buffer at once, so `bufferedAmount` is everything waiting for that reader. Errors
 * go to the gateway's logger, not the console.
 */
import { STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { CloseCode, handleProtocols, makeServer, type ServerOptions } from 'graphql-ws';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Logger } from '../../observability/logger.ts';
import type { RequestByteBudget } from '../hardening/request-bytes.ts';

export interface WebSocketLimits {
  /** MAX_BODY_BYTES: the largest message once connection_init is accepted. */
  readonly maxMessageBytes: number;
  /** MAX_WS_INIT_BYTES: the largest message before. */
  readonly maxInitBytes: number;
  /** MAX_WS_BUFFERED_BYTES: the most outgoing bytes waiting for one reader. */
  readonly maxBufferedBytes: number;
  /** MAX_REQUEST_BYTES_HELD, shared with HTTP bodies. */
  readonly budget: RequestByteBudget;
}

/** What graphql-ws hooks find in `ctx.extra`; hooks may add to it. */
export interface SocketExtra {
  readonly socket: WebSocket;
  readonly request: IncomingMessage;
}

export interface GraphqlWebSocketServer {
  dispose(): Promise<void>;
}

/** graphql-ws/use/ws's keep-alive: a ping every 12 s; no pong within the next 12 s ends the socket. */
const KEEP_ALIVE_MS = 12_000;

export function serveGraphqlWs<P extends Record<string, unknown>, E extends SocketExtra>(
  httpServer: Server,
  path: string,
  options: ServerOptions<P, E>,
  guard: (request: IncomingMessage) => string | null,
  limits: WebSocketLimits,
  logger: Logger,
): GraphqlWebSocketServer {
  const wss = new WebSocketServer({ noServer: true, maxPayload: limits.maxMessageBytes, handleProtocols });
  const server = makeServer<P, E>({
    ...options,
    onConnect: async (ctx) => {
      const permitted = options.onConnect ? await options.onConnect(ctx) : true;
      // The key was accepted: messages may now be as large as an HTTP request.
      if (permitted !== false) setMessageLimit(ctx.extra.socket, limits.maxMessageBytes);
      return permitted;
    },
  });

  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (new URL(request.url ?? '/', 'http://localhost').pathname !== path) return refuse(socket, 404, `not found; GraphQL is at ${path}`);
    const refusal = guard(request);
    if (refusal !== null) {
      logger.warn('websocket handshake refused', { reason: refusal, origin: request.headers.origin, host: request.headers.host });
      return refuse(socket, 403, refusal);
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      receivedBytes.set(ws, new ReceivedBytes(socket, ws, limits.budget, logger));
      wss.emit('connection', ws, request);
    });
  };
  httpServer.on('upgrade', onUpgrade);

  wss.on('connection', (socket: WebSocket, request: IncomingMessage) => {
    // Nobody has been authenticated yet: keep what an anonymous client can make the gateway read small.
    if (!setMessageLimit(socket, limits.maxInitBytes)) {
      logger.error('websocket refused: the installed ws has no receiver _maxPayload to limit messages with (see gateway/http/websocket-server.ts)');
      socket.close(CloseCode.InternalServerError, 'Internal server error');
      return;
    }
    // ws closes the socket itself on a protocol error (1009 for a message too large); this records why.
    socket.on('error', (error) => logger.info('websocket closed on a protocol error', { error: error.message }));
    const keepAlive = keepSocketAlive(socket);
    const closed = server.opened({
      protocol: socket.protocol,
      send: (data) => {
        if (socket.readyState !== socket.OPEN) return;
        // Checked before adding, so one large result still goes out; a reader this far behind is not reading.
        if (socket.bufferedAmount > limits.maxBufferedBytes) {
          logger.warn('websocket disconnected: its reader fell behind (MAX_WS_BUFFERED_BYTES)', { bufferedBytes: socket.bufferedAmount });
          socket.terminate();
          return;
        }
        socket.send(data);
      },
      close: (code, reason) => socket.close(code, reason),
      onMessage: (handle) => socket.on('message', (data) => {
        // The message's bytes stay taken while it is handled (a subscription: while it runs).
        const bytes = receivedBytes.get(socket)?.claim() ?? 0;
        handle(String(data)).catch((error: unknown) => {
          logger.error('websocket message failed', { error: String(error) });
          socket.close(CloseCode.InternalServerError, 'Internal server error');
        }).finally(() => limits.budget.give(bytes));
      }),
    }, { socket, request } as E);
    socket.once('close', (code, reason) => {
      keepAlive.stop();
      closed(code, String(reason)).catch((error: unknown) => logger.error('websocket close handling failed', { error: String(error) }));
    });
  });

  return {
    async dispose() {
      httpServer.off('upgrade', onUpgrade);
      for (const client of wss.clients) client.close(1001, 'Going away');
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

/** Each upgraded socket's count of received bytes. */
const receivedBytes = new WeakMap<WebSocket, ReceivedBytes>();

/** Close code 1013 (Try Again Later): the server is overloaded for now. */
const TRY_AGAIN_LATER = 1013;

/**
 * The bytes a socket received since its last whole message, taken from the budget as they
 * arrive; ws holds them until the message is complete. A message claims them when it is read (it
 * may claim the first bytes of the next message too, at most one read of the socket). Bytes that
 * do not fit close the socket with 1013, the frame sent before the connection ends; what the
 * socket took is given back when it closes.
 */
class ReceivedBytes {
  private pending = 0;
  private refused = false;

  constructor(private readonly socket: Duplex, private readonly ws: WebSocket, private readonly budget: RequestByteBudget, private readonly logger: Logger) {
    // Before ws's own listener, so a chunk is counted before the message it completes is read.
    socket.prependListener('data', (chunk: Buffer) => this.arrived(chunk.length));
    socket.once('close', () => {
      budget.give(this.pending);
      this.pending = 0;
    });
  }

  claim(): number {
    const bytes = this.pending;
    this.pending = 0;
    return bytes;
  }

  private arrived(bytes: number): void {
    if (this.refused) return;
    if (this.budget.take(bytes)) {
      this.pending += bytes;
      return;
    }
    this.refused = true;
    this.logger.warn('websocket closed: its bytes do not fit MAX_REQUEST_BYTES_HELD', { reason: this.budget.refusal(bytes) });
    // A close reason may take 123 bytes; the log above has the whole refusal.
    this.ws.close(TRY_AGAIN_LATER, 'MAX_REQUEST_BYTES_HELD: retry later');
    // Ends the connection after that frame instead of waiting for the client's: ws would keep
    // reading (and holding) what the client sends meanwhile.
    this.socket.end();
    this.socket.once('finish', () => this.socket.destroy());
  }
}

/** Answers a handshake with an HTTP error and closes the connection. */
function refuse(socket: Duplex, status: number, message: string): void {
  socket.once('finish', () => socket.destroy());
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n` +
    `Content-Length: ${Buffer.byteLength(message)}\r\n\r\n${message}`);
}

/**
 * Sets the largest message `socket` accepts from now on. ws takes the limit once, when the
 * socket is created (`maxPayload`), and has no setter; its receiver compares `_maxPayload` with
 * each frame header's declared length, so a larger message is refused before its payload is
 * read. False when a ws release renamed it (test/websocket-limits.test.ts then fails too).
 */
function setMessageLimit(socket: WebSocket, bytes: number): boolean {
  const receiver = (socket as unknown as { _receiver?: { _maxPayload?: number } })._receiver;
  if (typeof receiver?._maxPayload !== 'number') return false;
  receiver._maxPayload = bytes;
  return true;
}

function keepSocketAlive(socket: WebSocket): { stop(): void } {
  let pongWait: NodeJS.Timeout | null = null;
  const interval = setInterval(() => {
    if (socket.readyState !== socket.OPEN) return;
    pongWait = setTimeout(() => socket.terminate(), KEEP_ALIVE_MS);
    socket.once('pong', () => {
      if (pongWait) clearTimeout(pongWait);
      pongWait = null;
    });
    socket.ping();
  }, KEEP_ALIVE_MS);
  return {
    stop() {
      clearInterval(interval);
      if (pongWait) clearTimeout(pongWait);
    },
  };
}
