/**
 * `npm start`: runs the whole system on one machine — the gateway and, per actor, between
 * MIN_WORKERS and MAX_WORKERS worker processes scaled on queue depth and utilisation —
 * restarting any process that dies, and stopping them all on SIGTERM/SIGINT. A process that
 * cannot start (START_LIMIT failures in a row before it was ready) stops them all too, and the
 * supervisor exits 1 with that process's error as its last line.
 */
import { createLogger } from '../observability/logger.ts';
import { createBroker } from '../config/components.ts';
import { readConfig } from '../config/config.ts';
import { topology } from '../messaging/topology.ts';
import { Autoscaler } from './autoscaler.ts';
import { Supervisor } from './supervisor.ts';

const config = readConfig(process.env);
const logger = createLogger('supervisor', config.logLevel);
// A child finishes in-flight work for SHUTDOWN_GRACE_MS, then needs a moment to close and exit.
const supervisor = new Supervisor(logger, { startLimit: config.startLimit, stopGraceMs: config.shutdownGraceMs + 5000 });
supervisor.spawn('gateway', 'gateway/main.ts', []);
// The supervisor only reads queue depths; the gateway and the actors declare the topology.
const broker = createBroker(config, 'supervisor', logger);
void broker.start();
const autoscaler = new Autoscaler(supervisor, broker, topology(config.namespace, config.queueType), config.scaling, config.dataDir, logger);
await autoscaler.start();

let stopping = false;
const stop = (reason: string, exitCode: number, lastLine: string | null = null) => {
  if (stopping) return;
  stopping = true;
  logger.info('stopping all processes', { reason });
  // Both at once, so every child is marked stopping before any exits (no restart during shutdown).
  Promise.all([autoscaler.stop(), supervisor.stopAll()])
    .then(() => broker.close())
    .then(() => {
      // The child's own error is the last thing on the terminal, where a user looks first.
      if (lastLine !== null) process.stderr.write(`${lastLine}\n`);
      process.exit(exitCode);
    });
};
process.on('SIGTERM', (signal) => stop(signal, 0));
process.on('SIGINT', (signal) => stop(signal, 0));
supervisor.onGiveUp((name, lastError) => {
  stop(`${name} could not start`, 1, lastError ?? `${name} exited ${config.startLimit} times before it was ready (START_LIMIT)`);
});
