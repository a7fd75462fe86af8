/**
 * Starts OpenTelemetry in this process: traces and metrics over OTLP/HTTP (protobuf) when an
 * endpoint is given, a Prometheus scrape endpoint when a port is given, nothing at all when
 * neither is (no exporter, no background timer: spans stay no-ops).
 *
 * Processes call it through observability/instrument.ts (their first import); tests call it
 * directly with a local OTLP receiver, and stop it, which also unregisters the global providers
 * so that the next test file starts clean.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { context, metrics, propagation, trace } from '@opentelemetry/api';
import type { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import type { metrics as sdkMetrics, tracing } from '@opentelemetry/sdk-node';
import { setTelemetryOn } from './tracing.ts';

/** What to export, and where. */
export interface TelemetryOptions {
  /** `service.name` of the process: gateway, actor-fetch, … */
  readonly serviceName: string;
  /** Full OTLP/HTTP URL for traces (…/v1/traces); null or absent: tracing off. */
  readonly otlpTracesEndpoint?: string | null;
  /** Full OTLP/HTTP URL for metrics (…/v1/metrics); null or absent: no OTLP metrics. */
  readonly otlpMetricsEndpoint?: string | null;
  /** Port of the Prometheus scrape endpoint (0: any free port); null or absent: none. */
  readonly prometheusPort?: number | null;
  /** Address the scrape endpoint listens on. Default 127.0.0.1. */
  readonly prometheusHost?: string;
  /** How often OTLP metrics are pushed. Default 15000 ms. */
  readonly metricExportIntervalMs?: number;
  /** Longest a finished span waits in the batch before export. Default 1000 ms. */
  readonly spanExportDelayMs?: number;
}

/** A running telemetry setup. */
export interface Telemetry {
  readonly serviceName: string;
  readonly tracing: boolean;
  /** http://host:port/metrics of the Prometheus endpoint, or null. */
  readonly metricsUrl: string | null;
  /** Exports every finished span and the current metrics now. */
  forceFlush(): Promise<void>;
  /** Flushes, stops the exporters and unregisters the global providers. */
  shutdown(): Promise<void>;
}

let current: Telemetry | null = null;

export async function startTelemetry(options: TelemetryOptions): Promise<Telemetry> {
  if (current) throw new Error(`telemetry already runs in this process (service ${current.serviceName}); call shutdown() first`);
  const prometheusOn = options.prometheusPort !== undefined && options.prometheusPort !== null;
  if (!options.otlpTracesEndpoint && !options.otlpMetricsEndpoint && !prometheusOn) {
    current = disabled(options.serviceName);
    return current;
  }
  // Loaded only when telemetry is on: the SDK and its exporters are a large share of a process's
  // start-up (every process imports this module first), and telemetry is off by default.
  // The SDK classes come through sdk-node's re-exports, so they are the very versions NodeSDK uses.
  const { NodeSDK, metrics: sdkMetricsModule, tracing: tracingModule } = await import('@opentelemetry/sdk-node');
  const spanProcessors: tracing.SpanProcessor[] = [];
  const readers: sdkMetrics.MetricReader[] = [];
  if (options.otlpTracesEndpoint) {
    const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-proto');
    spanProcessors.push(new tracingModule.BatchSpanProcessor(new OTLPTraceExporter({ url: options.otlpTracesEndpoint }), {
      scheduledDelayMillis: options.spanExportDelayMs ?? 1000,
    }));
  }
  if (options.otlpMetricsEndpoint) {
    const { OTLPMetricExporter } = await import('@opentelemetry/exporter-metrics-otlp-proto');
    readers.push(new sdkMetricsModule.PeriodicExportingMetricReader({
      exporter: new OTLPMetricExporter({ url: options.otlpMetricsEndpoint }),
      exportIntervalMillis: options.metricExportIntervalMs ?? 15_000,
    }));
  }
  let scrape: { server: Server; url: string } | null = null;
  if (options.prometheusPort !== undefined && options.prometheusPort !== null) {
    const { PrometheusExporter } = await import('@opentelemetry/exporter-prometheus');
    const prometheus = new PrometheusExporter({ preventServerStart: true });
    // Same sdk-metrics release as NodeSDK's, installed as a separate copy: only the declarations differ.
    readers.push(prometheus as unknown as sdkMetrics.MetricReader);
    scrape = await serveMetrics(prometheus, options.prometheusPort, options.prometheusHost ?? '127.0.0.1');
  }

  const sdk = new NodeSDK({
    serviceName: options.serviceName,
    spanProcessors,
    metricReaders: readers,
    // Explicitly empty: otherwise the SDK would configure a default OTLP log exporter from the environment.
    logRecordProcessors: [],
    instrumentations: [],
  });
  sdk.start();
  setTelemetryOn(true);
  const telemetry: Telemetry = {
    serviceName: options.serviceName,
    tracing: spanProcessors.length > 0,
    metricsUrl: scrape?.url ?? null,
    async forceFlush() {
      await Promise.all([...spanProcessors.map((processor) => processor.forceFlush()), ...readers.map((reader) => reader.forceFlush())]);
    },
    async shutdown() {
      if (current === telemetry) current = null;
      setTelemetryOn(false);
      await sdk.shutdown().catch(() => {});
      if (scrape) await new Promise<void>((resolve) => scrape!.server.close(() => resolve()));
      // NodeSDK leaves its providers registered; unregister them so a later start (tests) can register anew.
      trace.disable();
      metrics.disable();
      propagation.disable();
      context.disable();
    },
  };
  current = telemetry;
  return telemetry;
}

/** Flushes and stops the telemetry of this process, if any: call before process.exit. */
export async function stopTelemetry(): Promise<void> {
  await current?.shutdown();
}

function disabled(serviceName: string): Telemetry {
  const telemetry: Telemetry = {
    serviceName,
    tracing: false,
    metricsUrl: null,
    async forceFlush() {},
    async shutdown() { if (current === telemetry) current = null; },
  };
  return telemetry;
}

/** Serves GET /metrics from the Prometheus reader on a server of our own (so port 0 works). */
async function serveMetrics(prometheus: PrometheusExporter, port: number, host: string): Promise<{ server: Server; url: string }> {
  const server = createServer((request, response) => {
    if (request.method === 'GET' && new URL(request.url ?? '/', 'http://localhost').pathname === '/metrics') {
      prometheus.getMetricsRequestHandler(request, response);
      return;
    }
    response.writeHead(404, { 'content-type': 'text/plain' });
    response.end('metrics are at /metrics\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) => reject(new Error(`metrics endpoint cannot listen on ${host}:${port} (${error.message}): set METRICS_PORT to a free port`)));
    server.listen(port, host, resolve);
  });
  server.unref();
  const address = server.address() as AddressInfo;
  return { server, url: `http://${host.includes(':') ? `[${host}]` : host}:${address.port}/metrics` };
}
