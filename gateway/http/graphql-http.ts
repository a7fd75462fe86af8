/**
 * Serves GraphQL over HTTP on Node's own server by handing each request to Apollo Server's
 * transport-independent entry point (Apollo 5 ships no integration for plain node:http).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer, type BaseContext } from '@apollo/server';
import { ErrorCode } from '../errors.ts';
import { BodyTooLargeError, readBody } from './read-body.ts';

export function graphqlHttpHandler<C extends BaseContext>(
  apollo: ApolloServer<C>,
  context: (request: IncomingMessage) => Promise<C>,
  maxBodyBytes: number,
) {
  return async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const headers = new HeaderMap();
    for (const [name, value] of Object.entries(request.headers)) {
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    }
    let body: unknown;
    if (request.method === 'POST') {
      try {
        const text = await readBody(request, maxBodyBytes);
        body = text.length > 0 && headers.get('content-type')?.includes('json') ? JSON.parse(text) : text;
      } catch (error) {
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
  };
}
