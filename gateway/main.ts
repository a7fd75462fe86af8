/** Entry point of a gateway process: `npm run gateway`. */
import '../observability/instrument.ts'; // first: telemetry before any other module
import { createLogger } from '../observability/logger.ts';
import { readConfig } from '../config/config.ts';
import { onShutdown, startOrExit } from '../supervisor/shutdown.ts';
import { READY_MESSAGE } from '../supervisor/supervisor.ts';
import { startGateway } from './server.ts';

const config = readConfig(process.env);
const logger = createLogger('gateway', config.logLevel);
const gateway = await startOrExit('gateway', () => startGateway(config, logger));
onShutdown(logger, () => gateway.stop());
process.send?.(READY_MESSAGE); // under the supervisor: started, so a later exit is not a start-up failure
