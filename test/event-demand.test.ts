/**
 * Job events only while someone listens (issue 15): a gateway announces its subscribers on the
 * events exchange, and a publisher sends job events, the end of a job included, only while an
 * announcement is fresh. Tap queues on the real broker show what was published.
 */
import assert from 'node:assert/strict';
import type { Job } from '../schema/domain.ts';
import { parseJobEvent } from '../schema/messages/job-event.ts';
import { silentLogger } from '../observability/logger.ts';
import { createBroker } from '../config/components.ts';
import type { Broker } from '../messaging/broker.ts';
import { EventDemand, LISTENING_KEY, LISTENING_TTL_MS } from '../messaging/event-demand.ts';
import { JobEventPublisher } from '../messaging/job-events.ts';
import { JobEventHub } from '../gateway/events/job-event-hub.ts';
import type { Store } from '../stores/store.ts';
import { collect, gqlData, waitForJob, wsClient } from './support/graphql-client.ts';
import { startTestSystem, withAmqp, type TestSystem } from './support/test-system.ts';

const JOB_EVENTS = 'subscription { jobEvents(collection: "demand") { job { id status } } }';
const WATCH = 'subscription { jobEvents(collection: "demand") { job { id } status stage } }';
const INGEST = 'mutation($input: IngestInput!) { ingestDocument(input: $input) { id } }';

describe('job events only while someone listens', function () {
  this.timeout(30_000);
  let system: TestSystem;
  let broker: Broker;
  const taps: string[] = [];

  before(async () => {
    system = await startTestSystem({ actors: false });
    broker = createBroker(system.config, 'test events', silentLogger);
    await broker.start();
  });
  after(async () => {
    await withAmqp(async (channel) => { for (const tap of taps) await channel.deleteQueue(tap); });
    await broker?.close();
    await system?.stop();
  });

  /** A queue bound to `pattern` on the events exchange. */
  async function tap(pattern: string): Promise<string> {
    const name = `${system.config.namespace}.tap.${taps.length}`;
    taps.push(name);
    await withAmqp(async (channel) => {
      await channel.assertQueue(name, { durable: false });
      await channel.bindQueue(name, system.names.eventsExchange, pattern);
    });
    return name;
  }

  const drain = (queue: string) => withAmqp(async (channel) => {
    const bodies: Buffer[] = [];
    for (let message = await channel.get(queue, { noAck: true }); message; message = await channel.get(queue, { noAck: true })) bodies.push(message.content);
    return bodies;
  });

  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it('when no announcement is fresh, should publish no event, not even the end of a job, and every event again once one arrives', async () => {
    let now = 0;
    const demand = new EventDemand(() => now);
    const events = new JobEventPublisher(broker, system.names, silentLogger, demand);
    const queue = await tap('job.demand.#');
    const job = (status: Job['status'], seq: number): Job => ({
      id: 'job-demand', collection: 'demand', documentId: 'doc', status, stage: 'EMBED', progress: 0.5, attempts: 1, error: null,
      chunkCount: null, priority: 'NORMAL', seq, traceId: null, createdAt: new Date(0), updatedAt: new Date(0), finishedAt: null,
    });
    const published = async () => (await drain(queue)).map((body) => parseJobEvent(JSON.parse(body.toString('utf8'))).job.status);

    await events.publish(job('RUNNING', 1));
    await sleep(300);
    assert.deepEqual(await published(), ['RUNNING'], 'wanted when it starts: a subscriber may be between two announcements');

    now += LISTENING_TTL_MS;
    await events.publish(job('RUNNING', 2));
    await events.publish(job('SUCCEEDED', 3));
    await sleep(300);
    assert.deepEqual(await published(), [], 'progress and the end dropped: nobody listens');

    demand.heard();
    await events.publish(job('RUNNING', 4));
    await sleep(300);
    assert.deepEqual(await published(), ['RUNNING']);
  });

  it('when nobody has listened for a while, should publish no event of a job; once a client subscribes, every stage and the end again', async () => {
    await system.startActors();
    try {
      const queue = await tap('job.demand.#');
      await sleep(LISTENING_TTL_MS + 500);
      const ingest = async (text: string) => (await gqlData(system.url, INGEST, { input: { collection: 'demand', text } })).ingestDocument.id as string;
      const unwatched = await ingest('# Unwatched\n\nNobody follows this one.');
      await waitForJob(system.url, unwatched);
      await sleep(300);
      const statuses = (await drain(queue)).map((body) => parseJobEvent(JSON.parse(body.toString('utf8'))).job.status);
      assert.deepEqual(statuses, [], 'no QUEUED, RUNNING or SUCCEEDED event with nobody listening');

      const client = wsClient(system.url);
      try {
        const events: string[] = [];
        const subscribed = new Promise<void>((resolve, reject) => client.subscribe({ query: WATCH }, {
          next: (result: any) => events.push(`${result.data.jobEvents.job.id} ${result.data.jobEvents.status}:${result.data.jobEvents.stage}`),
          error: reject, complete: resolve,
        }));
        subscribed.catch(() => {});
        // The subscription binds the gateway's queue and announces it; the announcement reaches the actors in milliseconds.
        await sleep(300);
        const watched = await ingest('# Watched\n\nA subscriber follows this one.');
        await waitForJob(system.url, watched);
        await sleep(300);
        const seen = events.filter((event) => event.startsWith(watched)).map((event) => event.split(' ')[1]!);
        assert.deepEqual(seen.filter((event) => event.startsWith('RUNNING')), ['RUNNING:PARSE', 'RUNNING:CHUNK', 'RUNNING:EMBED', 'RUNNING:INDEX'], seen.join(', '));
        assert.equal(seen.at(-1), 'SUCCEEDED:INDEX');
      } finally {
        await client.dispose();
      }
    } finally {
      await system.stopActors();
    }
  });

  it('when a client subscribes, should announce it at once and while it stays, and stop announcing after it leaves', async () => {
    const queue = await tap(LISTENING_KEY);
    await sleep(2500);
    assert.equal((await drain(queue)).length, 0, 'no subscriber: no announcement');

    const client = wsClient(system.url);
    const watched = collect(client, JOB_EVENTS, {}, 4000).catch(() => []);
    const started = Date.now();
    while ((await drain(queue)).length === 0) {
      assert.ok(Date.now() - started < 2000, 'announced within 2 s of subscribing');
      await sleep(50);
    }
    await sleep(2500);
    assert.ok((await drain(queue)).length >= 1, 'announced again while subscribed');
    await client.dispose();
    await watched;
    await sleep(500);
    await drain(queue);
    await sleep(2500);
    assert.equal((await drain(queue)).length, 0, 'no announcement after the last subscriber left');
    // The gateway still answers: the subscription's binding was removed cleanly.
    assert.ok((await gqlData(system.url, '{ queues { stage } }')).queues.length > 0);
  });

  it('when the end of a job arrives as an event while jobProgress reads the job, should end the stream and stop reading the store', async () => {
    const created = await system.store.createJob({ id: `race-${Date.now()}`, collection: 'demand', documentId: 'race', priority: 'NORMAL' });
    const running = (await system.store.updateJob(created.id, { status: 'RUNNING' }))!;
    const publisher = new JobEventPublisher(broker, system.names, silentLogger);
    let reads = 0;
    // The first read publishes the job's end and answers with the state from before it, as a read
    // that raced the end would: the end event arrives while the stream is not yet returned.
    const store = { getJob: async (id: string) => {
      reads += 1;
      if (reads > 1) return system.store.getJob(id);
      await publisher.publish({ ...running, status: 'SUCCEEDED', seq: running.seq + 1, finishedAt: new Date() });
      await sleep(500);
      return running;
    } } as unknown as Store;
    const hub = new JobEventHub(broker, system.names, store, silentLogger, new EventDemand(), publisher);
    await hub.start();
    try {
      const stream = await hub.jobProgress(running.id);
      const statuses: string[] = [];
      for await (const event of stream) statuses.push(event.job.status);
      assert.deepEqual(statuses, ['RUNNING', 'SUCCEEDED']);
      await sleep(2_500); // past a store check's interval
      assert.equal(reads, 1, 'the store was read again for an ended stream');
    } finally {
      await hub.stop();
    }
  });
});
