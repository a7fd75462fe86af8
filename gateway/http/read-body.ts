/** Reads a request body up to a limit; a larger body is refused before it is buffered whole. */
import type { IncomingMessage } from 'node:http';

export class BodyTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`request body exceeds the limit of ${limit} bytes (MAX_BODY_BYTES)`);
    this.name = 'BodyTooLargeError';
  }
}

export async function readBody(request: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > limit) throw new BodyTooLargeError(limit);
  const parts: Buffer[] = [];
  let size = 0;
  for await (const part of request) {
    size += (part as Buffer).length;
    if (size > limit) throw new BodyTooLargeError(limit);
    parts.push(part as Buffer);
  }
  return Buffer.concat(parts).toString('utf8');
}
