import assert from 'node:assert/strict';
import { trace } from '@opentelemetry/api';
import { startTelemetry } from '../observability/telemetry.ts';
import { serviceNameOf, telemetryOptionsFromEnv } from '../observability/telemetry-config.ts';
import { tracer } from '../observability/tracing.ts';

describe('telemetry configuration', () => {
  it('when no OTLP endpoint or metrics port is set, should leave telemetry off and spans non-recording', async () => {
    const options = telemetryOptionsFromEnv({}, 'gateway');
    assert.equal(options.otlpTracesEndpoint, null);
    assert.equal(options.otlpMetricsEndpoint, null);
    assert.equal(options.prometheusPort, null);
    const telemetry = await startTelemetry(options);
    try {
      assert.equal(telemetry.tracing, false);
      assert.equal(telemetry.metricsUrl, null);
      const span = tracer().startSpan('nothing');
      assert.equal(span.isRecording(), false);
      span.end();
      assert.equal(trace.getActiveSpan(), undefined);
    } finally {
      await telemetry.shutdown();
    }
  });

  it('when OTEL_EXPORTER_OTLP_ENDPOINT is set, should derive the per-signal URLs unless a specific one is given', () => {
    const options = telemetryOptionsFromEnv({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/',
      OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'http://metrics:4318/v1/metrics',
    }, 'actor-fetch');
    assert.equal(options.otlpTracesEndpoint, 'http://collector:4318/v1/traces');
    assert.equal(options.otlpMetricsEndpoint, 'http://metrics:4318/v1/metrics');
    assert.equal(options.serviceName, 'actor-fetch');
  });

  it('when an exporter is "none" or the SDK is disabled, should turn that signal off', () => {
    const base = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' };
    assert.equal(telemetryOptionsFromEnv({ ...base, OTEL_TRACES_EXPORTER: 'none' }, 'x').otlpTracesEndpoint, null);
    const disabled = telemetryOptionsFromEnv({ ...base, OTEL_SDK_DISABLED: 'true' }, 'x');
    assert.equal(disabled.otlpTracesEndpoint, null);
    assert.equal(disabled.otlpMetricsEndpoint, null);
  });

  it('when OTEL_SERVICE_NAME or METRICS_PORT are set, should use them, and reject a bad port naming the variable', () => {
    const options = telemetryOptionsFromEnv({ OTEL_SERVICE_NAME: 'edge-gateway', METRICS_PORT: '9464' }, 'gateway');
    assert.equal(options.serviceName, 'edge-gateway');
    assert.equal(options.prometheusPort, 9464);
    assert.throws(() => telemetryOptionsFromEnv({ METRICS_PORT: 'ninety' }, 'gateway'), /METRICS_PORT must be an integer/);
  });

  it('should name each process after its entry point', () => {
    assert.equal(serviceNameOf(['node', '/app/gateway/main.ts']), 'gateway');
    assert.equal(serviceNameOf(['node', '/app/services/actor-main.ts', 'embed']), 'actor-embed');
    assert.equal(serviceNameOf(['node', '/app/services/actor-main.ts', 'parse', 'chunk']), 'actor-parse-chunk');
    assert.equal(serviceNameOf(['node', '/app/dist/gateway/main.js']), 'gateway');
    assert.equal(serviceNameOf(['node', '/app/dist/services/actor-main.js', 'embed']), 'actor-embed');
  });
});
