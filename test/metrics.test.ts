import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTelemetry, type Telemetry } from '../observability/telemetry.ts';
import { eventually } from './support/contract-vectors.ts';
import { gqlData, waitForJob } from './support/graphql-client.ts';
import { startTestSystem, withAmqp, type TestSystem } from './support/test-system.ts';

const INGEST = 'mutation($input: IngestInput!) { ingestDocument(input: $input) { id } }';
const QUEUES = '{ queues { stage ready unacked consumers deadLettered publishRate ackRate } }';
const SEARCH = 'query($c: String!, $q: String!) { search(collection: $c, query: $q) { chunkId } }';

/** One Prometheus sample: the value of `name` with every given label, summed over the rest (0 when absent). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((pair) => [pair[1], pair[2]]));
    if (Object.entries(labels).every(([key, value]) => found[key] === value)) total += Number(match[3]);
  }
  return total;
}

describe('metrics', function () {
  this.timeout(60_000);
  let telemetry: Telemetry;
  let system: TestSystem;
  let server: Server;
  let base: string;

  before(async () => {
    telemetry = await startTelemetry({ serviceName: 'test-metrics', prometheusPort: 0 });
    system = await startTestSystem({ actors: false, config: { maxAttempts: 2 } });
    server = createServer((request, response) => {
      const status = request.url === '/missing' ? 404 : request.url === '/down' ? 503 : 200;
      response.writeHead(status, { 'content-type': 'text/plain' });
      response.end(status === 200 ? 'Metrics move when jobs run.' : 'no');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    await system?.stop();
    await telemetry?.shutdown();
    await new Promise((resolve) => server?.close(resolve));
  });

  const scrape = async () => (await fetch(telemetry.metricsUrl!)).text();
  const stats = async (stage: string) => (await gqlData(system.url, QUEUES)).queues.find((queue: any) => queue.stage === stage);

  it('when actors are stopped and jobs arrive, should report the backlog on FETCH (URLs) and PARSE (inline text) in queues and in the gauges', async () => {
    const jobs = [];
    for (let i = 0; i < 2; i++) jobs.push((await gqlData(system.url, INGEST, { input: { collection: 'metered', url: `${base}/backlog-${i}.txt` } })).ingestDocument);
    jobs.push((await gqlData(system.url, INGEST, { input: { collection: 'metered', text: 'backlog inline' } })).ingestDocument);
    // An accepted job reaches its queue when the outbox relay has published it, just after the mutation answered.
    const queues = await eventually(async () => {
      const { queues } = await gqlData(system.url, QUEUES);
      assert.deepEqual(queues.map((queue: any) => queue.stage), ['FETCH', 'PARSE', 'CHUNK', 'EMBED', 'INDEX']);
      assert.deepEqual(queues[0], { stage: 'FETCH', ready: 2, unacked: 0, consumers: 0, deadLettered: 0, publishRate: null, ackRate: null });
      assert.deepEqual(queues[1], { stage: 'PARSE', ready: 1, unacked: 0, consumers: 0, deadLettered: 0, publishRate: null, ackRate: null });
      return queues;
    });
    assert.ok(queues.slice(2).every((queue: any) => queue.ready === 0));
    const text = await scrape();
    assert.equal(sample(text, 'rag_queue_ready', { rag_stage: 'FETCH' }), 2);
    assert.equal(sample(text, 'rag_queue_ready', { rag_stage: 'PARSE' }), 1);
    assert.equal(sample(text, 'rag_queue_consumers', { rag_stage: 'FETCH' }), 0);

    const before = await scrape();
    await system.startActors();
    for (const job of jobs) assert.equal((await waitForJob(system.url, job.id)).status, 'SUCCEEDED');
    await gqlData(system.url, SEARCH, { c: 'metered', q: 'backlog' });
    const after = await scrape();
    const moved = (name: string, labels: Record<string, string> = {}) => sample(after, name, labels) - sample(before, name, labels);
    for (const stage of ['FETCH', 'PARSE', 'CHUNK', 'EMBED', 'INDEX']) {
      const processed = stage === 'FETCH' ? 2 : 3; // the inline job never passes FETCH
      assert.equal(moved('rag_stage_messages_processed_total', { rag_stage: stage }), processed, `${stage} processed`);
      assert.equal(moved('rag_stage_handling_duration_count', { rag_stage: stage, rag_outcome: 'processed' }), processed, `${stage} handling time`);
      assert.equal(sample(after, 'rag_stage_in_flight', { rag_stage: stage }), 0);
    }
    assert.equal(moved('rag_job_ingest_to_searchable_duration_count', { rag_collection: 'metered' }), 3);
    assert.ok(sample(after, 'rag_job_ingest_to_searchable_duration_sum') > 0);
    assert.equal(moved('rag_search_duration_count', { rag_collection: 'metered' }), 1);
    assert.equal(sample(after, 'rag_queue_ready', { rag_stage: 'FETCH' }), 0);
    assert.equal(sample(after, 'rag_queue_consumers', { rag_stage: 'FETCH' }), 1);
    const fetch = await stats('FETCH');
    assert.equal(fetch.ready, 0);
    assert.equal(fetch.consumers, 1);
  });

  it('when attempts fail, should count failed, retried and dead-lettered messages and show the dead letters', async () => {
    if (!system.actors) await system.startActors();
    const before = await scrape();
    const missing = (await gqlData(system.url, INGEST, { input: { collection: 'metered', url: `${base}/missing` } })).ingestDocument;
    const down = (await gqlData(system.url, INGEST, { input: { collection: 'metered', url: `${base}/down` } })).ingestDocument;
    assert.equal((await waitForJob(system.url, missing.id)).status, 'FAILED');
    assert.equal((await waitForJob(system.url, down.id)).status, 'DEAD_LETTERED');
    await withAmqp(async (channel) => { channel.publish(system.names.workExchange, 'parse', Buffer.from('not json')); });
    const deadline = Date.now() + 10_000;
    while ((await stats('PARSE')).deadLettered < 1 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    const after = await scrape();
    const moved = (name: string, stage: string) => sample(after, name, { rag_stage: stage }) - sample(before, name, { rag_stage: stage });
    assert.equal(moved('rag_stage_messages_failed_total', 'FETCH'), 1);
    assert.equal(moved('rag_stage_messages_retried_total', 'FETCH'), 1, 'MAX_ATTEMPTS=2: one retry, then the dead-letter queue');
    assert.equal(moved('rag_stage_messages_dead_lettered_total', 'FETCH'), 1);
    assert.equal(moved('rag_stage_messages_dead_lettered_total', 'PARSE'), 1, 'a poison message is dead-lettered');
    assert.equal((await stats('FETCH')).deadLettered, 1);
    assert.equal((await stats('PARSE')).deadLettered, 1);
    assert.equal(sample(after, 'rag_queue_dead_lettered', { rag_stage: 'FETCH' }), 1);
  });
});
