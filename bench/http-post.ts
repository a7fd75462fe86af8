/**
 * The benchmark's HTTP client: a JSON POST over keep-alive connections with node:http. The load
 * generator shares the machine with what it measures, and fetch cost it about 0.9 ms of CPU per
 * request against 0.25 for node:http (64 clients, 20,000 small POSTs to a trivial server, both
 * measured side by side): with 64 ingest clients that was a quarter of a core taken from the
 * gateway, the actors and the broker.
 */
import http from 'node:http';

/** One per thread: as many connections as requests in flight, kept open between them. */
const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });

/** POSTs `payload` as JSON and parses the answer (whatever its status: GraphQL errors are answers too). */
export function postJson<T>(url: string, payload: unknown): Promise<T> {
  const body = JSON.stringify(payload);
  return new Promise<T>((resolve, reject) => {
    const request = http.request(url, {
      method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => { text += chunk; });
      response.on('end', () => {
        try {
          resolve(JSON.parse(text) as T);
        } catch {
          reject(new Error(`HTTP ${response.statusCode}: not JSON: ${text.slice(0, 200)}`));
        }
      });
      response.on('error', reject);
    });
    request.on('error', (error: NodeJS.ErrnoException) => {
      // The server closed a kept-alive connection as this request went out on it: the request was
      // never read, so it is sent again on a fresh one (Node's documented pattern).
      if (request.reusedSocket && error.code === 'ECONNRESET') postJson<T>(url, payload).then(resolve, reject);
      else reject(error);
    });
    request.end(body);
  });
}
