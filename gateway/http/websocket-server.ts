/**
 * graphql-ws on the HTTP server's GraphQL path, through `ws`, within the transport limits of
 * issue 12: a handshake is refused when `guard` says so (Origin, Host); a message may be
 * MAX_WS_INIT_BYTES until connection_init is accepted and MAX_BODY_BYTES after, and a larger one
 * is refused (1009) from its frame header, before it is read; a socket whose reader falls more
 * than MAX_WS_BUFFERED_BYTES behind is disconnected. Each data frame's payload is taken from the
 * gateway's budget of request bytes (MAX_REQUEST_BYTES_HELD) when its header declares it and given
 * back once its message has been handled; a socket whose next frame does not fit is closed with 1013.
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
/** How long a refused socket's bytes are read and dropped before it is closed whatever the client does. */
const REFUSED_DRAIN_MS = 2_000;

/**
 * The bytes of a socket's messages, taken from the budget as each frame's header declares its
 * payload, before the payload is read, so that messages already under way finish and a socket
 * whose next frame does not fit is refused at once (counted as the bytes arrived instead, many
 * large messages at once would fill the budget halfway each and none would finish). A message's
 * bytes are held until it has been handled. A refused socket is closed with 1013; what the
 * client still sends is read and dropped. What a socket took is given back when it closes.
 *
 * To see the headers it follows the client's frame stream (RFC 6455 section 5.2) beside ws, which
 * parses it again and enforces every other rule; control frames (at most 125 bytes) are not counted.
 */
class ReceivedBytes {
  private readonly header: number[] = [];
  private payloadLeft = 0;
  /** The frame being read is a message's last data frame (control frames are not messages). */
  private endsMessage = false;
  /** Taken for the message whose frames are arriving. */
  private building = 0;
  /** Taken for messages whose last byte has arrived, oldest first, until ws hands each over. */
  private readonly complete: number[] = [];
  private refused = false;

  constructor(private readonly socket: Duplex, private readonly ws: WebSocket, private readonly budget: RequestByteBudget, private readonly logger: Logger) {
    // Before ws's own listener, so a message's bytes are known before ws reads it.
    socket.prependListener('data', (chunk: Buffer) => this.arrived(chunk));
    socket.once('close', () => {
      budget.give(this.building + this.complete.reduce((sum, bytes) => sum + bytes, 0));
      this.building = 0;
      this.complete.length = 0;
    });
  }

  /** The bytes of the message ws has just read, which its handler now holds. */
  claim(): number {
    return this.complete.shift() ?? 0;
  }

  private arrived(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length && !this.refused) {
      if (this.payloadLeft > 0) {
        const read = Math.min(this.payloadLeft, chunk.length - at);
        this.payloadLeft -= read;
        at += read;
        if (this.payloadLeft === 0) this.frameDone();
        continue;
      }
      this.header.push(chunk[at++]!);
      const length = declaredLength(this.header);
      if (length === null) continue;
      const opcode = this.header[0]! & 0x0f;
      const final = (this.header[0]! & 0x80) !== 0;
      this.header.length = 0;
      this.payloadLeft = length;
      // Data frames: continuation (0), text (1), binary (2). Control frames (a ping, say, even
      // between a message's fragments) are small and end no message.
      this.endsMessage = final && opcode <= 2;
      if (opcode > 2) continue;
      if (!this.budget.take(length)) {
        this.refuse(length);
        return;
      }
      this.building += length;
      if (length === 0) this.frameDone();
    }
  }

  private frameDone(): void {
    if (!this.endsMessage) return;
    this.complete.push(this.building);
    this.building = 0;
  }

  private refuse(bytes: number): void {
    this.refused = true;
    this.logger.warn('websocket closed: its bytes do not fit MAX_REQUEST_BYTES_HELD', { reason: this.budget.refusal(bytes) });
    // A close reason may take 123 bytes; the log above has the whole refusal.
    this.ws.close(TRY_AGAIN_LATER, 'MAX_REQUEST_BYTES_HELD: retry later');
    // What the client still sends is read and dropped, no longer given to ws, which would hold it.
    // Reading on (rather than closing at once, which answers unread bytes with a reset) lets the
    // client read the close frame; the connection ends when it has, or after REFUSED_DRAIN_MS.
    this.socket.removeAllListeners('data');
    this.socket.on('data', () => {});
    this.socket.end();
    setTimeout(() => this.socket.destroy(), REFUSED_DRAIN_MS).unref();
  }
}

/**
 * A frame's payload length once `header` holds the whole header (2 bytes, then 2 or 8 of extended
 * length, then the 4-byte mask every client frame carries), or null while more is needed.
 */
function declaredLength(header: readonly number[]): number | null {
  if (header.length < 2) return null;
  const short = header[1]! & 0x7f;
  const extended = short === 126 ? 2 : short === 127 ? 8 : 0;
  const masked = (header[1]! & 0x80) !== 0 ? 4 : 0;
  if (header.length < 2 + extended + masked) return null;
  if (extended === 0) return short;
  let length = 0;
  // 8 bytes may exceed 2^53: such a length passes every budget, and ws refuses it (1009) anyway.
  for (let i = 2; i < 2 + extended; i++) length = length * 256 + header[i]!;
  return length;
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
