/**
 * MAX_CONNECTIONS: how many sockets one gateway holds open at once, HTTP and WebSocket alike (an
 * upgraded socket stays counted until it closes). Node closes a socket past the limit as soon as
 * it connects, before it reads a byte. Refusals are logged at most once a minute, with how many
 * there were, so that a flood of connections does not become a flood of log lines.
 */
import type { Server } from 'node:http';
import type { Logger } from '../../observability/logger.ts';

const LOG_EVERY_MS = 60_000;

export function limitConnections(server: Server, maxConnections: number, logger: Logger): void {
  server.maxConnections = maxConnections;
  let refused = 0;
  let loggedAt = -Infinity;
  server.on('drop', () => {
    refused++;
    if (Date.now() - loggedAt < LOG_EVERY_MS) return;
    logger.warn('connections refused: MAX_CONNECTIONS are open', { maxConnections, refused });
    refused = 0;
    loggedAt = Date.now();
  });
}
