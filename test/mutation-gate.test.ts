/**
 * Queries overtake mutations: a gateway executes at most MAX_RUNNING_MUTATIONS mutations at once,
 * the others wait over HTTP and WebSocket alike (past MAX_WAITING_MUTATIONS they are refused at
 * once, and one whose turn has not come within MAX_MUTATION_WAIT_MS is refused then), and queries
 * never wait for them.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import Database from 'better-sqlite3';
import { gql, wsClient, type GraphQLResponse } from './support/graphql-client.ts';
import { startTestSystem, type TestSystem } from './support/test-system.ts';
import { startTelemetry, type Telemetry } from '../observability/telemetry.ts';

const INGEST = 'mutation($input: IngestInput!) { ingestDocument(input: $input) { id status } }';

describe('queries overtake mutations', function () {
  this.timeout(30_000);
  let system: TestSystem;
  let telemetry: Telemetry;

  before(async () => {
    telemetry = await startTelemetry({ serviceName: 'test-mutation-gate', prometheusPort: 0 });
    system = await startTestSystem({ actors: false, config: { maxRunningMutations: 1, maxWaitingMutations: 2, maxMutationWaitMs: 0 } });
  });
  after(async () => {
    await system?.stop();
    await telemetry?.shutdown();
  });

  /** One unlabelled Prometheus sample, or null when absent. */
  async function gauge(name: string): Promise<number | null> {
    const text = await (await fetch(telemetry.metricsUrl!)).text();
    const line = text.split('\n').find((candidate) => candidate.startsWith(`${name} `) || candidate.startsWith(`${name}{`));
    return line === undefined ? null : Number(line.split(' ').at(-1));
  }

  async function until(condition: () => boolean, what: string): Promise<void> {
    const deadline = Date.now() + 5000;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}: ${JSON.stringify(system.gateway.mutations.load())}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  it('should answer queries at once while mutations past MAX_RUNNING_MUTATIONS wait their turn, over HTTP and WebSocket', async () => {
    // Another connection holds SQLite's write lock, so the first mutation stays in its write.
    const blocker = new Database(path.join(system.config.dataDir, 'rag.sqlite'));
    const client = wsClient(system.url);
    const settledOrder: string[] = [];
    const track = <T>(name: string, promise: Promise<T>) => promise.finally(() => settledOrder.push(name));
    try {
      blocker.exec('BEGIN IMMEDIATE');
      const first = track('first', gql(system.url, INGEST, { input: { collection: 'gate', documentId: 'first', text: 'The first mutation.' } }));
      await until(() => system.gateway.mutations.load().running === 1, 'the first mutation runs');
      // Refused by its resolver at once when it runs: only the gate can hold it back.
      const second = track('second', gql(system.url, INGEST, { input: { collection: 'Not A Name', text: 'x' } }));
      await until(() => system.gateway.mutations.load().waiting === 1, 'the HTTP mutation waits');
      const overSocket = track('socket', new Promise<GraphQLResponse>((resolve, reject) => {
        client.subscribe({ query: INGEST, variables: { input: { collection: 'Not A Name', text: 'y' } } },
          { next: resolve as (value: unknown) => void, error: reject, complete: () => {} });
      }));
      await until(() => system.gateway.mutations.load().waiting === 2, 'the WebSocket mutation waits');

      // The line is full: refused at once, on both transports, and nothing recorded.
      const refusedResponse = await fetch(system.url, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: INGEST, variables: { input: { collection: 'gate', documentId: 'refused', text: 'Refused.' } } }),
      });
      // As the resolvers' BACKPRESSURE: an answer with an error, not a server failure.
      assert.equal(refusedResponse.status, 200);
      const refusedHttp = await refusedResponse.json() as GraphQLResponse;
      const refusedSocket = await new Promise<GraphQLResponse>((resolve, reject) => {
        client.subscribe({ query: INGEST, variables: { input: { collection: 'gate', documentId: 'refused-ws', text: 'Refused.' } } },
          { next: resolve as (value: unknown) => void, error: reject, complete: () => {} });
      });
      for (const refusal of [refusedHttp, refusedSocket]) {
        assert.equal(refusal.data, undefined);
        assert.equal(refusal.errors?.[0]?.extensions?.code, 'BACKPRESSURE', JSON.stringify(refusal));
        assert.match(refusal.errors![0]!.message, /2 mutations are waiting in this gateway \(MAX_WAITING_MUTATIONS\)/);
        assert.equal(refusal.errors?.[0]?.extensions?.retryAfterSeconds, 1);
      }

      const jobs = await gql(system.url, '{ jobs(first: 5) { edges { node { id } } } }');
      const search = await gql(system.url, '{ search(collection: "gate", query: "first", mode: LEXICAL) { chunkId } }');
      assert.deepEqual(jobs, { data: { jobs: { edges: [] } } });
      assert.deepEqual(search, { data: { search: [] } });
      assert.deepEqual(settledOrder, [], 'no mutation answered while the first one holds the only slot');
      assert.deepEqual(system.gateway.mutations.load(), { running: 1, waiting: 2 });
      assert.equal(await gauge('rag_gateway_mutations_running'), 1);
      assert.equal(await gauge('rag_gateway_mutations_waiting'), 2);
      assert.equal(await gauge('rag_gateway_mutations_refused_total'), 2);

      blocker.exec('ROLLBACK');
      const [accepted, refused, refusedOverSocket] = await Promise.all([first, second, overSocket]);
      assert.equal(accepted.data?.ingestDocument.status, 'QUEUED');
      assert.equal(refused.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
      assert.equal(refusedOverSocket.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
      // Arrival order at the gate is the spec's (mutation-gate.spec.ts); answers travel on two transports.
      assert.equal(settledOrder[0], 'first', `the first mutation answered first: ${settledOrder}`);
      assert.deepEqual(system.gateway.mutations.load(), { running: 0, waiting: 0 });
      assert.equal(await gauge('rag_gateway_mutations_waiting'), 0);
      assert.deepEqual((await system.store.listJobs({ first: 10 })).jobs.map(({ job }) => job.documentId), ['first']);
    } finally {
      if (blocker.inTransaction) blocker.exec('ROLLBACK');
      blocker.close();
      await client.dispose();
    }
  });
});

describe('a mutation waits for its turn at most MAX_MUTATION_WAIT_MS', function () {
  this.timeout(30_000);
  let system: TestSystem;

  before(async () => {
    system = await startTestSystem({ actors: false, config: { maxRunningMutations: 1, maxWaitingMutations: 100, maxMutationWaitMs: 400 } });
  });
  after(async () => {
    await system?.stop();
  });

  it('should refuse mutations still waiting after MAX_MUTATION_WAIT_MS with BACKPRESSURE, over HTTP and WebSocket, and record none of them', async () => {
    const blocker = new Database(path.join(system.config.dataDir, 'rag.sqlite'));
    const client = wsClient(system.url);
    try {
      blocker.exec('BEGIN IMMEDIATE');
      const first = gql(system.url, INGEST, { input: { collection: 'gate', documentId: 'first', text: 'The first mutation.' } });
      while (system.gateway.mutations.load().running === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      const sentAt = performance.now();
      const overHttp = gql(system.url, INGEST, { input: { collection: 'gate', documentId: 'late-http', text: 'Too late.' } });
      const overSocket = new Promise<GraphQLResponse>((resolve, reject) => {
        client.subscribe({ query: INGEST, variables: { input: { collection: 'gate', documentId: 'late-ws', text: 'Too late.' } } },
          { next: resolve as (value: unknown) => void, error: reject, complete: () => {} });
      });
      const refusals = await Promise.all([overHttp, overSocket]);
      const waitedMs = performance.now() - sentAt;
      for (const refusal of refusals) {
        assert.equal(refusal.data, undefined);
        assert.equal(refusal.errors?.[0]?.extensions?.code, 'BACKPRESSURE', JSON.stringify(refusal));
        assert.match(refusal.errors![0]!.message, /its turn did not come within 400 ms in this gateway \(MAX_MUTATION_WAIT_MS; 1 running, [01] waiting\); nothing was done: retry after 1 s/);
        assert.equal(refusal.errors?.[0]?.extensions?.retryAfterSeconds, 1);
      }
      // Answered once their time was up, while the first one still held the only slot.
      assert.ok(waitedMs >= 400, `refused after ${waitedMs} ms`);
      assert.deepEqual(system.gateway.mutations.load(), { running: 1, waiting: 0 });

      blocker.exec('ROLLBACK');
      assert.equal((await first).data?.ingestDocument.status, 'QUEUED');
      assert.deepEqual((await system.store.listJobs({ first: 10 })).jobs.map(({ job }) => job.documentId), ['first']);
    } finally {
      if (blocker.inTransaction) blocker.exec('ROLLBACK');
      blocker.close();
      await client.dispose();
    }
  });
});
