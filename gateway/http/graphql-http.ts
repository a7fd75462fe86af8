/**
 * Serves GraphQL over HTTP on Node's own server by handing each request to Apollo Server's
 * transport-independent entry point (Apollo 5 ships no integration for plain node:http).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer, type BaseContext } from '@apollo/server';
import { ErrorCode } from '../errors.ts';
import { RequestBytesRefusedError, REQUEST_BYTES_RETRY_AFTER_SECONDS, type RequestByteBudget } from '../hardening/request-bytes.ts';
import { BodyTooLargeError, readBody, type HeldBytes } from './read-body.ts';

export function graphqlHttpHandler<C extends BaseContext>(
  apollo: ApolloServer<C>,
  context: (request: IncomingMessage) => Promise<C>,
  maxBodyBytes: number,
  budget: RequestByteBudget,
) {
  return async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    // The body's bytes stay taken until the answer has been written: the parsed request lives that long.
    const held: HeldBytes = { bytes: 0 };
    try {
      await answer(request, response, held);
    } finally {
      budget.give(held.bytes);
    }
  };

  async function answer(request: IncomingMessage, response: ServerResponse, held: HeldBytes): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const headers = new HeaderMap();
    for (const [name, value] of Object.entries(request.headers)) {
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    }
    let body: unknown;
    if (request.method === 'POST') {
      try {
        const text = await readBody(request, maxBodyBytes, budget, held);
        body = text.length > 0 && headers.get('content-type')?.includes('json') ? JSON.parse(text) : text;
      } catch (error) {
        if (error instanceof RequestBytesRefusedError) {
          // The rest of the body is read and dropped as it comes, never held; the connection closes after the answer.
          response.writeHead(503, { 'content-type': 'application/json', 'retry-after': String(REQUEST_BYTES_RETRY_AFTER_SECONDS), connection: 'close' });
          response.end(JSON.stringify({ errors: [{ message: error.message, extensions: { code: error.code, retryAfterSeconds: REQUEST_BYTES_RETRY_AFTER_SECONDS } }] }));
          request.resume();
          return;
        }
        const status = error instanceof BodyTooLargeError ? 413 : 400;
        const code = error instanceof BodyTooLargeError ? ErrorCode.PAYLOAD_TOO_LARGE : ErrorCode.BAD_REQUEST;
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ errors: [{ message: (error as Error).message, extensions: { code } }] }));
        if (status === 413) request.resume();
        return;
      }
    }
    const result = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: request.method ?? 'GET', headers, search: url.search, body },
      context: () => context(request),
    });
    for (const [name, value] of result.headers) response.setHeader(name, value);
    response.statusCode = result.status ?? 200;
    if (result.body.kind === 'complete') {
      response.end(result.body.string);
      return;
    }
    for await (const chunk of result.body.asyncIterator) response.write(chunk);
    response.end();
  }
}
