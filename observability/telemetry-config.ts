/**
 * Telemetry settings from the standard OpenTelemetry environment variables plus METRICS_PORT
 * and METRICS_HOST. Read once, by observability/instrument.ts, at process start.
 */
import type { TelemetryOptions } from './telemetry.ts';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Tracing and OTLP metrics are on when an OTLP endpoint is set (OTEL_EXPORTER_OTLP_ENDPOINT,
 * or the per-signal OTEL_EXPORTER_OTLP_TRACES_ENDPOINT / _METRICS_ENDPOINT), unless
 * OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER / OTEL_METRICS_EXPORTER is "none".
 * The Prometheus endpoint is on when METRICS_PORT is set.
 */
export function telemetryOptionsFromEnv(env: Env, defaultServiceName: string): TelemetryOptions {
  const disabled = env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true';
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim().replace(/\/+$/, '') || null;
  const signal = (specific: string | undefined, path: string, exporter: string | undefined) => {
    if (disabled || exporter?.trim().toLowerCase() === 'none') return null;
    return specific?.trim() || (base ? `${base}${path}` : null);
  };
  const port = env.METRICS_PORT?.trim();
  let prometheusPort: number | null = null;
  if (port) {
    const value = Number(port);
    if (!Number.isInteger(value) || value < 0 || value > 65535) throw new Error(`METRICS_PORT must be an integer in 0..65535, got "${port}"`);
    prometheusPort = value;
  }
  const interval = env.OTEL_METRIC_EXPORT_INTERVAL?.trim();
  const host = env.METRICS_HOST?.trim();
  return {
    serviceName: env.OTEL_SERVICE_NAME?.trim() || defaultServiceName,
    otlpTracesEndpoint: signal(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, '/v1/traces', env.OTEL_TRACES_EXPORTER),
    otlpMetricsEndpoint: signal(env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT, '/v1/metrics', env.OTEL_METRICS_EXPORTER),
    prometheusPort,
    ...(host ? { prometheusHost: host } : {}),
    ...(interval && Number(interval) > 0 ? { metricExportIntervalMs: Number(interval) } : {}),
  };
}

/**
 * The service name of this process from its entry point: `gateway`, or `actor-<stages>` for
 * `services/actor-main <stages…>`; OTEL_SERVICE_NAME overrides it.
 */
export function serviceNameOf(argv: readonly string[]): string {
  const script = (argv[1] ?? '').replace(/\\/g, '/');
  // .ts run from the sources, .js from the compiled output in dist/.
  if (/gateway\/main\.[jt]s$/.test(script)) return 'gateway';
  if (/services\/actor-main\.[jt]s$/.test(script)) {
    const stages = argv.slice(2).map((stage) => stage.toLowerCase()).filter((stage) => /^[a-z]+$/.test(stage));
    return stages.length ? `actor-${stages.join('-')}` : 'actor';
  }
  return 'rag-ingest';
}
