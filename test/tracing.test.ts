import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { STAGES } from '../schema/domain.ts';
import { ATTR, SPAN } from '../observability/attributes.ts';
import { startTelemetry, type Telemetry } from '../observability/telemetry.ts';
import { gqlData, waitForJob } from './support/graphql-client.ts';
import { SpanKindCode, StatusCodeValue, startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from './support/otlp-receiver.ts';
import { startTestSystem, type TestSystem } from './support/test-system.ts';
import { runActors } from '../services/run-actors.ts';
import { silentLogger } from '../observability/logger.ts';

const JAEGER = 'http://jaeger.test:16686';
const INGEST = 'mutation($input: IngestInput!) { ingestDocument(input: $input) { id traceId traceUrl } }';
const JOB = 'query($id: ID!) { job(id: $id) { id status traceId traceUrl } }';

describe('tracing: one trace per job', function () {
  this.timeout(60_000);
  let receiver: OtlpReceiver;
  let telemetry: Telemetry;
  let system: TestSystem;

  before(async () => {
    receiver = await startOtlpReceiver();
    telemetry = await startTelemetry({ serviceName: 'test-tracing', otlpTracesEndpoint: receiver.tracesUrl, spanExportDelayMs: 50 });
    // Every hop through the broker; the test of hand-over in process starts actors of its own.
    system = await startTestSystem({ config: { jaegerUiUrl: JAEGER, handOverInProcess: false } });
  });

  after(async () => {
    await system?.stop();
    await telemetry?.shutdown();
    await receiver?.close();
  });

  /** Flushes and polls until the job's trace holds a span matching `until`. */
  async function traceOf(traceId: string, until: (spans: ReceivedSpan[]) => boolean): Promise<ReceivedSpan[]> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      await telemetry.forceFlush();
      const spans = receiver.spans.filter((span) => span.traceId === traceId);
      if (until(spans)) return spans;
      if (Date.now() > deadline) throw new Error(`trace ${traceId} incomplete: ${spans.map((span) => span.name).join(', ')}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  const byId = (spans: readonly ReceivedSpan[]) => new Map(spans.map((span) => [span.spanId, span]));
  const one = (spans: readonly ReceivedSpan[], test: (span: ReceivedSpan) => boolean, what: string) => {
    const found = spans.filter(test);
    assert.equal(found.length, 1, `expected one ${what}, found ${found.length}: ${spans.map((span) => span.name).join(', ')}`);
    return found[0]!;
  };

  it('when a job runs, should record the whole job as one trace chained mutation → publish → consume for every stage it passes', async () => {
    const text = '# Tracing\n\nOne trace per job across every hop. '.repeat(40);
    const { ingestDocument } = await gqlData(system.url, INGEST, { input: { collection: 'traced', text, mimeType: 'text/markdown', priority: 'HIGH' } });
    const finished = await waitForJob(system.url, ingestDocument.id);
    assert.equal(finished.status, 'SUCCEEDED');
    const { job } = await gqlData(system.url, JOB, { id: ingestDocument.id });
    assert.match(job.traceId, /^[0-9a-f]{32}$/);
    assert.equal(job.traceUrl, `${JAEGER}/trace/${job.traceId}`);
    assert.equal(ingestDocument.traceId, job.traceId);

    const spans = await traceOf(job.traceId, (all) => all.some((span) => span.name === SPAN.store('indexDocument')) &&
      all.some((span) => span.name === SPAN.process('INDEX')));
    const ids = byId(spans);
    // Every span that names the job belongs to the job's one trace.
    const tagged = receiver.spans.filter((span) => span.attributes[ATTR.jobId] === job.id);
    assert.ok(tagged.length >= (STAGES.length - 1) * 2);
    assert.deepEqual([...new Set(tagged.map((span) => span.traceId))], [job.traceId]);

    const root = one(spans, (span) => span.name === SPAN.ingest, 'root span');
    assert.equal(root.parentSpanId, null);
    assert.equal(root.attributes[ATTR.jobId], job.id);
    assert.equal(root.serviceName, 'test-tracing');

    // Inline text is published by the gateway straight to PARSE: no FETCH hop in its trace.
    assert.ok(!spans.some((span) => span.name === SPAN.process('FETCH') || span.name === SPAN.handle('FETCH')), 'no fetch span');
    let parent = root;
    for (const stage of STAGES.filter((other) => other !== 'FETCH')) {
      const key = stage.toLowerCase();
      const publish = one(spans, (span) => span.kind === SpanKindCode.PRODUCER && span.parentSpanId === parent.spanId &&
        span.attributes[ATTR.messagingRoutingKey] === key, `publish of ${stage} under ${parent.name}`);
      assert.equal(publish.attributes[ATTR.messagingSystem], 'rabbitmq');
      assert.equal(publish.attributes[ATTR.messagingDestination], system.names.workExchange);
      const consume = one(spans, (span) => span.kind === SpanKindCode.CONSUMER && span.parentSpanId === publish.spanId, `consume of ${stage}`);
      assert.equal(consume.name, SPAN.process(stage));
      assert.equal(consume.attributes[ATTR.stage], stage);
      assert.equal(consume.attributes[ATTR.jobId], job.id);
      assert.equal(consume.attributes[ATTR.collection], 'traced');
      assert.equal(consume.attributes[ATTR.priority], 'HIGH');
      assert.equal(consume.attributes[ATTR.attempt], 1);
      assert.ok(Number(consume.attributes[ATTR.messageSize]) > 0);
      assert.equal(consume.attributes[ATTR.outcome], 'processed');
      const handle = one(spans, (span) => span.name === SPAN.handle(stage), `${stage} handler span`);
      assert.equal(handle.parentSpanId, consume.spanId);
      const updates = spans.filter((span) => span.name === SPAN.store('updateJob') && span.parentSpanId === consume.spanId);
      assert.ok(updates.length > 0, `${stage}: store.updateJob spans under the consume span`);
      parent = consume;
    }

    const chunkCount = spans.find((span) => span.name === SPAN.process('EMBED'))!.attributes[ATTR.chunkCount];
    assert.ok(Number(chunkCount) > 1, 'the embed delivery records how many chunks it carried');
    const index = one(spans, (span) => span.name === SPAN.store('indexDocument'), 'indexDocument span');
    assert.equal(ids.get(index.parentSpanId!)?.name, SPAN.handle('INDEX'));
    assert.equal(index.attributes[ATTR.chunkCount], chunkCount);
    const embeds = spans.filter((span) => span.name === SPAN.embed);
    assert.ok(embeds.length > 0);
    for (const embed of embeds) assert.equal(ids.get(embed.parentSpanId!)?.name, SPAN.handle('EMBED'));
    // Job events are informational and stay out of the trace.
    assert.ok(!spans.some((span) => span.attributes[ATTR.messagingDestination] === system.names.eventsExchange));
  });

  it('when every stage runs in one process, should chain each handed-over delivery under the one before, with a single publish', async () => {
    await system.stopActors();
    const actors = await runActors(STAGES, { ...system.config, handOverInProcess: true }, silentLogger, { store: system.store });
    try {
      const { ingestDocument } = await gqlData(system.url, INGEST, { input: { collection: 'traced', text: '# Handed over\n\nOne process, one publish.', mimeType: 'text/markdown' } });
      assert.equal((await waitForJob(system.url, ingestDocument.id)).status, 'SUCCEEDED');
      const spans = await traceOf(ingestDocument.traceId, (all) => all.some((span) => span.name === SPAN.process('INDEX')));
      const publishes = spans.filter((span) => span.kind === SpanKindCode.PRODUCER);
      assert.deepEqual(publishes.map((span) => span.attributes[ATTR.messagingRoutingKey]), ['parse'], 'only the first message crossed the broker');
      let parent = one(spans, (span) => span.name === SPAN.process('PARSE'), 'consume of PARSE');
      assert.equal(parent.parentSpanId, publishes[0]!.spanId);
      assert.equal(parent.attributes[ATTR.handedOver], undefined);
      for (const stage of ['CHUNK', 'EMBED', 'INDEX'] as const) {
        const consume = one(spans, (span) => span.name === SPAN.process(stage), `consume of ${stage}`);
        assert.equal(consume.parentSpanId, parent.spanId, `${stage} runs under ${parent.name}`);
        assert.equal(consume.attributes[ATTR.handedOver], true);
        assert.equal(consume.attributes[ATTR.outcome], 'processed');
        parent = consume;
      }
    } finally {
      await actors.stop(2000);
      await system.startActors();
    }
  });

  it('when a fetch fails once, should show the failed attempt as an error span and its retry in the same trace', async () => {
    const server = await flakyServer();
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/doc.txt`;
      const { ingestDocument } = await gqlData(system.url, INGEST, { input: { collection: 'traced', url } });
      const finished = await waitForJob(system.url, ingestDocument.id);
      assert.equal(finished.status, 'SUCCEEDED');
      const spans = await traceOf(ingestDocument.traceId, (all) => all.some((span) => span.name === SPAN.store('indexDocument')));
      // A URL's first message goes from the mutation to FETCH.
      const root = one(spans, (span) => span.name === SPAN.ingest, 'root span');
      one(spans, (span) => span.kind === SpanKindCode.PRODUCER && span.parentSpanId === root.spanId &&
        span.attributes[ATTR.messagingRoutingKey] === 'fetch', 'publish of FETCH under the mutation');
      const fetches = spans.filter((span) => span.name === SPAN.process('FETCH'))
        .sort((a, b) => Number(a.attributes[ATTR.attempt]) - Number(b.attributes[ATTR.attempt]));
      assert.deepEqual(fetches.map((span) => span.attributes[ATTR.attempt]), [1, 2]);
      const [failed, retried] = fetches as [ReceivedSpan, ReceivedSpan];
      assert.equal(failed.status.code, StatusCodeValue.ERROR);
      assert.match(failed.status.message, /HTTP 503/);
      assert.ok(failed.events.some((event) => event.name === 'exception'), 'the failed attempt records the exception');
      assert.equal(failed.attributes[ATTR.outcome], 'retried');
      const urlSpan = spans.find((span) => span.name === SPAN.fetchUrl && span.status.code === StatusCodeValue.ERROR);
      assert.ok(urlSpan, 'the URL fetch of the failed attempt is an error span');

      const retryPublish = one(spans, (span) => span.kind === SpanKindCode.PRODUCER && span.parentSpanId === failed.spanId &&
        String(span.attributes[ATTR.messagingDestination]).startsWith(`${system.names.namespace}.retry.`), 'retry publish');
      assert.equal(retried.parentSpanId, retryPublish.spanId);
      assert.equal(retried.status.code, StatusCodeValue.UNSET);
      assert.equal(retried.attributes[ATTR.outcome], 'processed');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

/** Answers 503 to the first request and a small text document after. */
async function flakyServer(): Promise<Server> {
  let requests = 0;
  const server = createServer((_request, response) => {
    requests += 1;
    if (requests === 1) {
      response.writeHead(503, { 'content-type': 'text/plain' });
      response.end('try again');
      return;
    }
    response.writeHead(200, { 'content-type': 'text/plain' });
    response.end('A document that arrives on the second try.');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}
