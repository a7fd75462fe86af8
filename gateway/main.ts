/** Entry point of a gateway process: `npm run gateway`. */
import '../observability/instrument.ts'; // first: telemetry before any other module
import { createLogger } from '../observability/logger.ts';
import { readConfig } from '../config/config.ts';
import { onShutdown } from '../supervisor/shutdown.ts';
import { startGateway } from './server.ts';

const config = readConfig(process.env);
const logger = createLogger('gateway', config.logLevel);
const gateway = await startGateway(config, logger);
onShutdown(logger, () => gateway.stop());
