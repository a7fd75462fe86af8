/**
 * Graceful shutdown of a real actor process (SIGTERM), a gateway whose broker is unreachable
 * (accepting into its outbox up to a bound),
 * and a subscriber that drops its connection mid-job and comes back.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { connect, createServer as createNetServer, type AddressInfo } from 'node:net';
import { silentLogger } from '../../observability/logger.ts';
import { startGateway } from '../../gateway/server.ts';
import { gql, gqlData, collect, waitForJob, wsClient } from '../support/graphql-client.ts';
import { spawnActor } from '../support/actor-process.ts';
import { eventually } from '../support/contract-vectors.ts';
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

  it('when the broker is unreachable, should accept up to MAX_UNPUBLISHED_JOBS into the outbox, refuse the next at once, and publish them when it returns', async () => {
    // A port that refuses AMQP at first (it closes every connection) and later relays to the real
    // broker, as if the broker came back. Listening from the start: a closed ephemeral port can be
    // connected to by the client's own socket (a TCP self-connect), which then hangs.
    let reachable = false;
    const relay = createNetServer((socket) => {
      if (!reachable) return socket.destroy();
      const upstream = connect(5672, '127.0.0.1');
      socket.on('error', () => upstream.destroy());
      upstream.on('error', () => socket.destroy());
      socket.pipe(upstream).pipe(socket);
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    const port = (relay.address() as AddressInfo).port;
    const gateway = await startGateway({ ...system.config, amqpUrl: `amqp://guest:guest@127.0.0.1:${port}`, publishTimeoutMs: 800, maxUnpublishedJobs: 2 }, silentLogger, { store: system.store });
    try {
      const ingest = (text: string) => gql(gateway.url, 'mutation($text: String!) { ingestDocument(input: { collection: "offline", text: $text }) { id status } }', { text });
      const accepted = [await ingest('Heard later: one.'), await ingest('Heard later: two.')];
      const ids = accepted.map((result) => result.data?.ingestDocument?.id as string);
      assert.ok(ids.every(Boolean), `accepted into the outbox while the broker is away: ${JSON.stringify(accepted)}`);
      assert.deepEqual(accepted.map((result) => result.data.ingestDocument.status), ['QUEUED', 'QUEUED']);

      const started = Date.now();
      const refused = await ingest('Nobody hears this.');
      assert.equal(refused.errors?.[0]?.extensions?.code, 'UNAVAILABLE');
      assert.match(refused.errors?.[0]?.message ?? '', /MAX_UNPUBLISHED_JOBS/);
      assert.ok(refused.errors?.[0]?.extensions?.retryAfterSeconds > 0);
      assert.ok(Date.now() - started < 1000, `refused at once (${Date.now() - started} ms)`);
      assert.equal(refused.data?.ingestDocument ?? null, null, 'no job reported as accepted');
      const { jobs } = await gqlData(system.url, 'query { jobs(collection: "offline") { edges { node { id } } } }');
      assert.deepEqual(jobs.edges.map((edge: any) => edge.node.id).sort(), [...ids].sort(), 'the refused job was never recorded');

      reachable = true;
      const published = new Set<string>();
      const deadline = Date.now() + 20_000;
      while (published.size < ids.length && Date.now() < deadline) {
        // Inline text goes straight to the parse stage.
        const message = await withAmqp((channel) => channel.get(system.names.stageQueue('PARSE'), { noAck: true }));
        const jobId = message ? JSON.parse(message.content.toString()).job.jobId as string : null;
        if (jobId && ids.includes(jobId)) published.add(jobId); // earlier tests may have left messages there
        if (!message) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.deepEqual([...published].sort(), [...ids].sort(), 'both accepted jobs reached the parse queue once the broker returned');
      // Removed once the relay has its confirms, a moment after the messages reach the queue.
      await eventually(async () => assert.equal(await system.store.countOutbox(), 0, 'the outbox is empty again'));
      for (const id of ids) await gqlData(system.url, 'mutation($id: ID!) { cancelJob(id: $id) { id } }', { id });
    } finally {
      await gateway.stop();
      await new Promise((resolve) => relay.close(resolve));
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
