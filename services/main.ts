/**
 * `npm start`: runs the whole system on one machine — the gateway and one process per actor —
 * restarting any process that dies, and stopping them all on SIGTERM/SIGINT.
 */
import { createLogger } from '../observability/logger.ts';
import { STAGES } from '../schema/domain.ts';
import { readConfig } from './config.ts';
import { Supervisor } from './supervisor/supervisor.ts';

const config = readConfig(process.env);
const logger = createLogger('supervisor', config.logLevel);
const supervisor = new Supervisor(logger);
supervisor.spawn('gateway', 'gateway/main.ts', []);
for (const stage of STAGES) supervisor.spawn(`actor-${stage.toLowerCase()}`, 'services/actor-main.ts', [stage.toLowerCase()]);

let stopping = false;
const stop = (signal: NodeJS.Signals) => {
  if (stopping) return;
  stopping = true;
  logger.info('stopping all processes', { signal });
  supervisor.stopAll().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
