/**
 * MAX_REQUEST_BYTES_HELD: the request bytes one gateway holds at once, over every HTTP body being
 * read or handled and every WebSocket message being received or handled. MAX_CONNECTIONS and
 * MAX_BODY_BYTES bound each socket, but their product (16 GB by default) is far past what a
 * gateway's memory holds: a thousand clients each sending a large document at once would exhaust
 * it, and take every other client down with it. Past the budget a request is refused at once
 * (HTTP 503 with BACKPRESSURE, a WebSocket closed with 1013), before its bytes are held, so the
 * requests already held finish and nothing accepted is lost.
 */
import { ErrorCode } from '../errors.ts';

/** Seconds a refused client is told to wait: bodies are read and handled in well under that. */
export const REQUEST_BYTES_RETRY_AFTER_SECONDS = 1;

export class RequestByteBudget {
  private heldBytes = 0;

  constructor(readonly limit: number) {}

  /** Takes `bytes` from the budget, or nothing and false when they do not fit. */
  take(bytes: number): boolean {
    if (this.heldBytes + bytes > this.limit) return false;
    this.heldBytes += bytes;
    return true;
  }

  /** Gives back bytes taken before. */
  give(bytes: number): void {
    this.heldBytes = Math.max(0, this.heldBytes - bytes);
  }

  get held(): number {
    return this.heldBytes;
  }

  /** Why a request of `bytes` (more, for a body of unknown length) was refused. */
  refusal(bytes: number): string {
    return `the gateway holds ${this.heldBytes} request bytes of its MAX_REQUEST_BYTES_HELD ${this.limit}, ` +
      `so ${bytes} more do not fit; retry in ${REQUEST_BYTES_RETRY_AFTER_SECONDS} s`;
  }
}

/** Thrown while a body is read when its bytes do not fit the budget. */
export class RequestBytesRefusedError extends Error {
  readonly code = ErrorCode.BACKPRESSURE;
  constructor(message: string) {
    super(message);
    this.name = 'RequestBytesRefusedError';
  }
}
