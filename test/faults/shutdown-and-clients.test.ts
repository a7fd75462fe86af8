/**
 * Graceful shutdown of a real actor process (SIGTERM), a gateway whose broker is unreachable,
 * and a subscriber that drops its connection mid-job and comes back.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { silentLogger } from '../../observability/logger.ts';
import { startGateway } from '../../gateway/server.ts';
import { gql, gqlData, collect, waitForJob, wsClient } from '../support/graphql-client.ts';
import { spawnActor } from '../support/actor-process.ts';
import { startTestSystem, withAmqp, type TestSystem } from '../support/test-system.ts';

describe('fault: shutdown, unreachable broker, reconnecting subscriber', function () {
  this.timeout(60_000);
  let system: TestSystem;
  let server: Server;
  let base: string;
  let answerAfterMs = 1000;

  before(async () => {
    // A document server that answers after a pause: the fetch stage is in flight while it waits.
    server = createServer((_request, response) => {
      const timer = setTimeout(() => { response.writeHead(200, { 'content-type': 'text/plain' }); response.end('Puffins nest in burrows.'); }, answerAfterMs);
      response.on('close', () => clearTimeout(timer));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    system = await startTestSystem({ actors: false });
  });
  after(async () => {
    await system?.stop();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  async function fetchQueue(): Promise<{ messageCount: number; consumerCount: number }> {
    return withAmqp((channel) => channel.checkQueue(system.names.stageQueue('FETCH')));
  }

  async function inFlight(jobId: string): Promise<void> {
    const deadline = Date.now() + 15_000;
    while ((await system.store.getJob(jobId))?.status !== 'RUNNING') {
      if (Date.now() > deadline) throw new Error('the fetch never started');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  it('when an actor process gets SIGTERM mid-message, should finish it within the grace period and exit 0 with nothing unacked', async () => {
    answerAfterMs = 1000;
    const actor = await spawnActor(['FETCH'], system.config, system.names, {}, 'services/actor-main.ts');
    const { ingestDocument } = await gqlData(system.url, 'mutation($url: String!) { ingestDocument(input: { collection: "shutdown", url: $url }) { id } }', { url: `${base}/a.txt` });
    await inFlight(ingestDocument.id);
    actor.kill('SIGTERM');
    assert.deepEqual(await actor.exited, { code: 0, signal: null });
    const parse = await withAmqp((channel) => channel.checkQueue(system.names.stageQueue('PARSE')));
    assert.equal(parse.messageCount, 1, 'the fetch finished and handed on to parse');
    const queue = await fetchQueue();
    assert.equal(queue.messageCount, 0, 'nothing returned, nothing left');
    assert.equal(queue.consumerCount, 0);
    await system.startActors(['PARSE', 'CHUNK', 'EMBED', 'INDEX']);
    assert.equal((await waitForJob(system.url, ingestDocument.id)).status, 'SUCCEEDED');
    await system.stopActors();
  });

  it('when the grace period ends first, should return the in-flight message to its queue and exit 0', async () => {
    answerAfterMs = 30_000;
    const actor = await spawnActor(['FETCH'], system.config, system.names, { SHUTDOWN_GRACE_MS: '300' }, 'services/actor-main.ts');
    const { ingestDocument } = await gqlData(system.url, 'mutation($url: String!) { ingestDocument(input: { collection: "shutdown", url: $url }) { id } }', { url: `${base}/b.txt` });
    await inFlight(ingestDocument.id);
    actor.kill('SIGTERM');
    assert.deepEqual(await actor.exited, { code: 0, signal: null });
    assert.equal((await fetchQueue()).messageCount, 1, 'the message is back in its queue, not lost');
    assert.equal((await system.store.getJob(ingestDocument.id))?.attempts, 1, 'returning it spent no attempt');
    await gqlData(system.url, 'mutation($id: ID!) { cancelJob(id: $id) { id } }', { id: ingestDocument.id });
  });

  it('when the broker is unreachable, should answer ingest with UNAVAILABLE within PUBLISH_TIMEOUT_MS and not accept the job', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const gateway = await startGateway({ ...system.config, amqpUrl: `amqp://guest:guest@127.0.0.1:${port}`, publishTimeoutMs: 800 }, silentLogger, { store: system.store });
    try {
      const started = Date.now();
      const result = await gql(gateway.url, 'mutation { ingestDocument(input: { collection: "offline", text: "Nobody hears this." }) { id } }');
      const elapsed = Date.now() - started;
      assert.equal(result.errors?.[0]?.extensions?.code, 'UNAVAILABLE');
      assert.ok(result.errors?.[0]?.extensions?.retryAfterSeconds > 0);
      assert.ok(elapsed < 800 + 1500, `failed within the publish timeout (${elapsed} ms)`);
      assert.equal(result.data?.ingestDocument ?? null, null, 'no job reported as accepted');
      const { jobs } = await gqlData(system.url, 'query { jobs(collection: "offline") { edges { node { status error } } } }');
      assert.ok(jobs.edges.every((edge: any) => edge.node.status === 'FAILED' && /not accepted/.test(edge.node.error)), 'never left QUEUED');
    } finally {
      await gateway.stop();
    }
  });

  it('when a subscriber disconnects mid-job and reconnects, should get the current state first and then the end', async () => {
    answerAfterMs = 1500;
    await system.startActors();
    try {
      const { ingestDocument } = await gqlData(system.url, 'mutation($url: String!) { ingestDocument(input: { collection: "subs", url: $url }) { id } }', { url: `${base}/c.txt` });
      const query = 'subscription($id: ID!) { jobProgress(id: $id) { status stage progress message job { id } } }';
      const first = wsClient(system.url);
      const seen = await new Promise<any>((resolve, reject) => {
        first.subscribe({ query, variables: { id: ingestDocument.id } }, { next: (value) => resolve(value.data), error: reject, complete: () => {} });
      });
      await first.dispose(); // the connection drops mid-job
      await inFlight(ingestDocument.id);
      const second = wsClient(system.url);
      try {
        const events = await collect(second, query, { id: ingestDocument.id }, 20_000);
        assert.equal(events[0].jobProgress.message, 'current state', 'caught up with the current state first');
        assert.ok(events[0].jobProgress.progress >= seen.jobProgress.progress);
        assert.equal(events.at(-1).jobProgress.status, 'SUCCEEDED');
      } finally {
        await second.dispose();
      }
    } finally {
      await system.stopActors();
    }
  });
});
