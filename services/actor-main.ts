/**
 * Entry point of an actor process: `npm run actor -- embed` (or several: `-- parse chunk`),
 * so each stage can be scaled as its own process.
 */
import '../observability/instrument.ts'; // first: telemetry before any other module
import { lowerCpuPriority } from './cpu-priority.ts';
import { STAGES, type Stage } from '../schema/domain.ts';
import { createLogger } from '../observability/logger.ts';
import { readConfig } from '../config/config.ts';
import { onShutdown, startOrExit } from '../supervisor/shutdown.ts';
import { READY_MESSAGE } from '../supervisor/supervisor.ts';

const UTILISATION_REPORT_MS = 1000;

const requested = process.argv.slice(2).map((name) => name.toUpperCase());
const unknown = requested.filter((name) => !(STAGES as readonly string[]).includes(name));
if (requested.length === 0 || unknown.length > 0) {
  console.error(`usage: npm run actor -- <${STAGES.map((stage) => stage.toLowerCase()).join('|')}> [more stages]` +
    (unknown.length ? `\nunknown stage: ${unknown.join(', ').toLowerCase()}` : ''));
  process.exit(2);
}
const stages = requested as Stage[];
const config = readConfig(process.env);
const logger = createLogger(`actor-${stages.join('-').toLowerCase()}`, config.logLevel);
// Background work yields the CPU to the gateway: with a backlog the actors would otherwise take
// every core and mutations and searches would queue behind them (issue 6 bench).
if (config.actorNice > 0) {
  try {
    const autogroup = lowerCpuPriority(config.actorNice);
    logger.debug('CPU priority lowered', { nice: config.actorNice, autogroup });
  } catch (error) {
    logger.warn('could not lower the CPU priority', { error: String(error) });
  }
}
// Loaded after lowering the priority: loading the actors, the broker client and the store is
// most of a worker's start-up, and a gateway starting beside it (npm start) should not wait on it.
const { runActors } = await import('./run-actors.ts');
const actors = await startOrExit(`actor ${stages.join(',').toLowerCase()}`, () => runActors(stages, config, logger));
onShutdown(logger, () => actors.stop(config.shutdownGraceMs));
// Under the supervisor (an IPC channel exists): started, then consumer utilisation for autoscaling.
process.send?.(READY_MESSAGE);
if (process.send) {
  // Not once the channel has closed: a send then throws, and the shutdown that closing started
  // (onShutdown) would end in a crash instead.
  setInterval(() => { if (process.connected) process.send?.({ type: 'utilisation', value: actors.utilisation() }); }, UTILISATION_REPORT_MS).unref();
}
