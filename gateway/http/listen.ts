/**
 * Starts listening, or fails with what to change: `server.listen` reports a taken port as an
 * 'error' event, which left unhandled crashed the gateway with a stack trace whose last line,
 * the one `npm start` shows when it gives up, was Node's version.
 */
import type { Server } from 'node:http';

export function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException) => reject(new Error(listenFailure(error, port, host)));
    server.once('error', failed);
    server.listen(port, host, () => {
      server.off('error', failed);
      resolve();
    });
  });
}

function listenFailure(error: NodeJS.ErrnoException, port: number, host: string): string {
  const address = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  switch (error.code) {
    case 'EADDRINUSE': return `${address} is already in use (another gateway, or \`npm start\` running already?); stop it or set PORT to a free port`;
    case 'EACCES': return `not allowed to listen on ${address} (ports below 1024 need privileges); set PORT to 1024 or above`;
    case 'EADDRNOTAVAIL': return `${host} is not an address of this machine; set HOST to one of its addresses (127.0.0.1 for local use only)`;
    default: return `cannot listen on ${address}: ${error.message}`;
  }
}
