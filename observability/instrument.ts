/**
 * Telemetry bootstrap: the FIRST import of every entry point (gateway/main.ts,
 * services/actor-main.ts), so the providers are registered before any other module runs.
 * Reads the standard OTEL_* variables and METRICS_PORT / METRICS_HOST; with none set,
 * telemetry stays off. supervisor/shutdown.ts flushes it (stopTelemetry) before the process exits.
 */
import { startTelemetry } from './telemetry.ts';
import { serviceNameOf, telemetryOptionsFromEnv } from './telemetry-config.ts';

export const telemetry = await startTelemetry(telemetryOptionsFromEnv(process.env, serviceNameOf(process.argv)));
