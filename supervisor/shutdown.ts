/**
 * Graceful shutdown: on SIGTERM or SIGINT, stop once (finishing or returning in-flight work),
 * then exit; a second signal exits at once. A process the supervisor started also stops when its
 * IPC channel closes: the supervisor is gone (killed, or crashed), and nothing would stop this
 * process any more; a gateway left behind would hold its port, and the next `npm start` would find
 * it taken.
 */
import type { Logger } from '../observability/logger.ts';
import { stopTelemetry } from '../observability/telemetry.ts';

export function onShutdown(logger: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals | 'supervisor gone') => {
    if (stopping) {
      if (signal === 'supervisor gone') return;
      process.exit(130);
    }
    stopping = true;
    logger.info('shutting down', { signal });
    // Flush spans and metrics whatever happened to stop(), then exit.
    stop().finally(() => stopTelemetry().catch(() => {})).then(
      () => process.exit(0),
      (error) => { logger.error('shutdown failed', { error: String(error) }); process.exit(1); },
    );
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
  if (process.connected) {
    process.once('disconnect', () => {
      // Our stderr was a pipe to the supervisor: a log line now fails with EPIPE, which must not
      // turn the shutdown into a crash.
      process.stderr.on('error', () => {});
      handler('supervisor gone');
    });
  }
}

/**
 * Runs a process's start-up. On failure it writes one line naming the process and the error, the
 * line the supervisor shows last when it gives up (START_LIMIT), and exits 1: an uncaught error
 * would end stderr with a stack trace and Node's version instead.
 */
export async function startOrExit<T>(name: string, start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (error) {
    process.stderr.write(`${name} could not start: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}
