/**
 * `npm start`: runs the whole system on one machine — the gateway and, per actor, between
 * MIN_WORKERS and MAX_WORKERS worker processes scaled on queue depth and utilisation —
 * restarting any process that dies, and stopping them all on SIGTERM/SIGINT.
 */
import { createLogger } from '../observability/logger.ts';
import { createBroker } from '../config/components.ts';
import { readConfig } from '../config/config.ts';
import { topology } from '../messaging/topology.ts';
import { Autoscaler } from './autoscaler.ts';
import { Supervisor } from './supervisor.ts';

const config = readConfig(process.env);
const logger = createLogger('supervisor', config.logLevel);
const supervisor = new Supervisor(logger);
supervisor.spawn('gateway', 'gateway/main.ts', []);
// The supervisor only reads queue depths; the gateway and the actors declare the topology.
const broker = createBroker(config, 'supervisor', logger);
void broker.start();
const autoscaler = new Autoscaler(supervisor, broker, topology(config.namespace, config.queueType), config.scaling, config.dataDir, logger);
await autoscaler.start();

let stopping = false;
const stop = (signal: NodeJS.Signals) => {
  if (stopping) return;
  stopping = true;
  logger.info('stopping all processes', { signal });
  // Both at once, so every child is marked stopping before any exits (no restart during shutdown).
  Promise.all([autoscaler.stop(), supervisor.stopAll()])
    .then(() => broker.close())
    .then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
