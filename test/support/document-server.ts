/**
 * A local document server for jobs that must go through the fetch stage (inline content skips
 * it): urlOf(text) is a URL whose body is that text, served as text/plain. Stateless, so any
 * number of distinct documents can be sent by URL.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface DocumentServer {
  /** A URL answering `text`; distinct texts give distinct URLs (and document ids). */
  urlOf(text: string): string;
  close(): Promise<void>;
}

export async function startDocumentServer(): Promise<DocumentServer> {
  const server = createServer((request, response) => {
    const text = new URL(request.url ?? '/', 'http://localhost').searchParams.get('text');
    if (text === null) {
      response.writeHead(404, { 'content-type': 'text/plain' });
      response.end('no text');
      return;
    }
    response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
    response.end(text);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    urlOf: (text) => `${base}/doc.txt?text=${encodeURIComponent(text)}`,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
