/**
 * Reads a request body up to a limit; a larger body is refused before it is buffered whole. Its
 * bytes are taken from the gateway's budget (MAX_REQUEST_BYTES_HELD) before they are held: the
 * declared Content-Length at once, a body of unknown length as it arrives.
 */
import type { IncomingMessage } from 'node:http';
import { RequestBytesRefusedError, type RequestByteBudget } from '../hardening/request-bytes.ts';

export class BodyTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`request body exceeds the limit of ${limit} bytes (MAX_BODY_BYTES)`);
    this.name = 'BodyTooLargeError';
  }
}

/** The bytes a request took from the budget; the caller gives them back once it has answered. */
export interface HeldBytes {
  bytes: number;
}

export async function readBody(request: IncomingMessage, limit: number, budget: RequestByteBudget, held: HeldBytes): Promise<string> {
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > limit) throw new BodyTooLargeError(limit);
  take(budget, held, declared);
  const parts: Buffer[] = [];
  let size = 0;
  for await (const part of request) {
    size += (part as Buffer).length;
    if (size > limit) throw new BodyTooLargeError(limit);
    if (size > held.bytes) take(budget, held, size - held.bytes);
    parts.push(part as Buffer);
  }
  return Buffer.concat(parts).toString('utf8');
}

function take(budget: RequestByteBudget, held: HeldBytes, bytes: number): void {
  if (bytes === 0) return;
  if (!budget.take(bytes)) throw new RequestBytesRefusedError(budget.refusal(bytes));
  held.bytes += bytes;
}
