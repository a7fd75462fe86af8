/**
 * Handing work on in process (issue 15): when the next stage's actor runs in the same process and
 * has a free slot, a stage's result goes straight to it, not through the broker. A tap queue bound
 * to the work exchange with every stage's routing key shows what crossed the broker; retries,
 * failures and a busy next stage still take the queues, and every job still ends.
 */
import assert from 'node:assert/strict';
import { AMQP_PRIORITY, STAGES, type Stage } from '../schema/domain.ts';
import type { JobPatch, Store } from '../stores/store.ts';
import { EventDemand, LISTENING_TTL_MS } from '../messaging/event-demand.ts';
import { silentLogger } from '../observability/logger.ts';
import { PermanentError } from '../messaging/errors.ts';
import type { StageActor } from '../messaging/actor-runtime.ts';
import { runActors, type RunningActors } from '../services/run-actors.ts';
import { gqlData, waitForJob } from './support/graphql-client.ts';
import { startTestSystem, withAmqp, type TestSystem } from './support/test-system.ts';

const INGEST = 'mutation($input: IngestInput!) { ingestDocument(input: $input) { id } }';
const RETRY = 'mutation($id: ID!) { retryJob(id: $id) { id status stage } }';

describe('handing work on in process', function () {
  this.timeout(60_000);
  let system: TestSystem;
  let actors: RunningActors | null = null;
  let tap: string;

  before(async () => {
    system = await startTestSystem({ actors: false });
    tap = `${system.config.namespace}.tap`;
    const keys = new Set(STAGES.flatMap((stage) => [system.names.stageKey(stage), ...Object.values(AMQP_PRIORITY).map((p) => system.names.stageKey(stage, p))]));
    await withAmqp(async (channel) => {
      await channel.assertQueue(tap, { durable: false, maxPriority: 10 });
      for (const key of keys) await channel.bindQueue(tap, system.names.workExchange, key);
    });
  });
  afterEach(async () => {
    await actors?.stop(2000);
    actors = null;
    await withAmqp((channel) => channel.purgeQueue(tap));
  });
  after(async () => {
    await withAmqp((channel) => channel.deleteQueue(tap)).catch(() => {});
    await system?.stop();
  });

  /** Every stage in this process, with the given changes to the configuration and to the actors. */
  interface StartOptions {
    handOver?: boolean;
    prefetch?: Partial<Record<Stage, number>>;
    wrap?: (actor: StageActor<any>) => StageActor<any>;
    store?: Store;
    demand?: EventDemand;
  }
  async function start(options: StartOptions = {}) {
    const config = {
      ...system.config,
      handOverInProcess: options.handOver ?? true,
      prefetchByStage: { ...system.config.prefetchByStage, ...options.prefetch },
    };
    actors = await runActors(STAGES, config, silentLogger, { store: options.store ?? system.store, wrapActor: options.wrap, eventDemand: options.demand });
  }

  /** The test system's store, recording the stage of every job-row write that starts one (status RUNNING). */
  function recordingStarts(): { store: Store; starts: Stage[] } {
    const starts: Stage[] = [];
    const store = new Proxy(system.store, {
      get(target, property) {
        if (property === 'updateJob') {
          return (id: string, patch: JobPatch) => {
            if (patch.status === 'RUNNING' && patch.stage) starts.push(patch.stage);
            return target.updateJob(id, patch);
          };
        }
        const value = Reflect.get(target, property, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    return { store, starts };
  }

  /** A demand on its own clock, past its last announcement: nobody listens to progress. */
  function nobodyListening(): EventDemand {
    let now = 0;
    const demand = new EventDemand(() => now);
    now += LISTENING_TTL_MS;
    return demand;
  }

  async function ingest(text: string): Promise<string> {
    const { ingestDocument } = await gqlData(system.url, INGEST, { input: { collection: 'handover', text } });
    return ingestDocument.id;
  }

  /** The stage of every message that crossed the work exchange since the last purge, sorted. */
  async function routed(): Promise<string[]> {
    return withAmqp(async (channel) => {
      const stages: string[] = [];
      for (let message = await channel.get(tap, { noAck: true }); message; message = await channel.get(tap, { noAck: true })) {
        stages.push(message.fields.routingKey.split('.')[0]!.toUpperCase());
      }
      return stages.sort();
    });
  }

  /** The actor of `stage`, whose handler runs `before` first. */
  const around = (stage: Stage, before: () => Promise<void>) => (actor: StageActor<any>): StageActor<any> =>
    actor.stage !== stage ? actor : { ...actor, parse: actor.parse.bind(actor), jobOf: actor.jobOf.bind(actor), handle: async (message, context) => { await before(); return actor.handle(message, context); } };

  it('when every stage runs in one process, should route only the first message of each document through the broker', async () => {
    await start();
    const ids = await Promise.all(['Herons wade.', 'Egrets wait.', 'Bitterns boom.'].map((text) => ingest(`# Birds\n\n${text}`)));
    for (const id of ids) {
      const job = await waitForJob(system.url, id);
      assert.equal(job.status, 'SUCCEEDED');
      assert.ok(job.chunkCount > 0);
    }
    assert.deepEqual(await routed(), ['PARSE', 'PARSE', 'PARSE']);
  });

  it('with HAND_OVER off, should route every stage message through the broker', async () => {
    await start({ handOver: false });
    const job = await waitForJob(system.url, await ingest('# Birds\n\nRails hide in reeds.'));
    assert.equal(job.status, 'SUCCEEDED');
    assert.deepEqual(await routed(), ['CHUNK', 'EMBED', 'INDEX', 'PARSE']);
  });

  it('when the next stage has no free slot, should send the message to its queue, and every job should succeed', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => { release = resolve; });
    await start({ prefetch: { EMBED: 1 }, wrap: around('EMBED', () => gate) });
    const ids = await Promise.all(['Coots dive.', 'Grebes dive.', 'Divers dive.'].map((text) => ingest(`# Birds\n\n${text}`)));
    // One document holds the single embed slot; the others' chunk results cannot go in process.
    const deadline = Date.now() + 15_000;
    let stages: string[] = [];
    while (stages.filter((stage) => stage === 'EMBED').length < 2 && Date.now() < deadline) {
      stages = [...stages, ...await routed()].sort();
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    release();
    for (const id of ids) assert.equal((await waitForJob(system.url, id)).status, 'SUCCEEDED');
    stages = [...stages, ...await routed()].sort();
    assert.deepEqual(stages.filter((stage) => stage !== 'EMBED'), ['PARSE', 'PARSE', 'PARSE']);
    assert.equal(stages.filter((stage) => stage === 'EMBED').length, 2, `routed: ${stages.join(', ')}`);
  });

  it('when a handed-over stage fails once, should retry it through the retry queue and succeed on attempt 2', async () => {
    let failures = 1;
    await start({ wrap: around('EMBED', async () => { if (failures-- > 0) throw new Error('embedding box unreachable (injected)'); }) });
    const job = await waitForJob(system.url, await ingest('# Birds\n\nKingfishers flash.'));
    assert.deepEqual({ status: job.status, stage: job.stage, attempts: job.attempts }, { status: 'SUCCEEDED', stage: 'INDEX', attempts: 1 });
    // The retry came back through the work exchange; the index message after it was handed over.
    assert.deepEqual(await routed(), ['EMBED', 'PARSE']);
    const { job: indexed } = await gqlData(system.url, 'query($id: ID!) { job(id: $id) { chunkCount } }', { id: job.id });
    assert.ok(indexed.chunkCount > 0);
  });

  it('when a handed-over stage fails for good, should keep that stage as the resume point, so retryJob resumes there', async () => {
    let failures = 1;
    await start({ wrap: around('INDEX', async () => { if (failures-- > 0) throw new PermanentError('index rejected the document (injected)'); }) });
    const id = await ingest('# Birds\n\nOspreys plunge.');
    const failed = await waitForJob(system.url, id);
    assert.equal(failed.status, 'FAILED');
    assert.match(failed.error, /^INDEX: index rejected the document/);
    assert.deepEqual(await routed(), ['PARSE']);

    const { retryJob } = await gqlData(system.url, RETRY, { id });
    assert.equal(retryJob.stage, 'INDEX');
    const job = await waitForJob(system.url, id);
    assert.equal(job.status, 'SUCCEEDED');
    assert.deepEqual(await routed(), ['INDEX'], 'the retry resumed at the index stage, not at parse');
  });

  describe('stage starts written to the job row', () => {
    it('while nobody listens to progress, should write only the start of the stage that came from the broker', async () => {
      const { store, starts } = recordingStarts();
      await start({ store, demand: nobodyListening() });
      const job = await waitForJob(system.url, await ingest('# Birds\n\nWrens sing loudly.'));
      assert.deepEqual({ status: job.status, stage: job.stage, progress: job.progress }, { status: 'SUCCEEDED', stage: 'INDEX', progress: 1 });
      assert.ok(job.chunkCount > 0);
      assert.deepEqual(starts, ['PARSE'], 'chunk, embed and index were handed over and started unrecorded');
    });

    it('while someone listens, should write every stage start, so a subscriber sees each stage', async () => {
      const { store, starts } = recordingStarts();
      await start({ store, demand: new EventDemand() });
      const job = await waitForJob(system.url, await ingest('# Birds\n\nThrushes sing sweetly.'));
      assert.equal(job.status, 'SUCCEEDED');
      assert.deepEqual(starts, ['PARSE', 'CHUNK', 'EMBED', 'INDEX']);
    });

    it('when the job row it was handed is over a second old, should write its start again', async () => {
      const { store, starts } = recordingStarts();
      await start({ store, demand: nobodyListening(), wrap: around('CHUNK', () => new Promise((resolve) => setTimeout(resolve, 1200))) });
      const job = await waitForJob(system.url, await ingest('# Birds\n\nNightjars churr at dusk.'));
      assert.equal(job.status, 'SUCCEEDED');
      // Chunk started on the fresh parse row; embed got that row 1.2 s later; index got embed's.
      assert.deepEqual(starts, ['PARSE', 'EMBED']);
    });

    it('when a job is cancelled while an unrecorded stage runs, should abort it, end CANCELLED and index nothing', async () => {
      let entered!: () => void;
      const embedding = new Promise<void>((resolve) => { entered = resolve; });
      const { store, starts } = recordingStarts();
      await start({ store, demand: nobodyListening(), wrap: around('EMBED', () => { entered(); return new Promise(() => {}); }) });
      const id = await ingest('# Birds\n\nCuckoos call in spring.');
      await embedding;
      assert.deepEqual(starts, ['PARSE'], 'embed runs without having written its start');
      const { cancelJob } = await gqlData(system.url, 'mutation($id: ID!) { cancelJob(id: $id) { status documentId } }', { id });
      assert.equal(cancelJob.status, 'CANCELLED');
      const final = await waitForJob(system.url, id);
      assert.equal(final.status, 'CANCELLED');
      // The embed handler never returns by itself: only the cancel signal ends its delivery.
      await actors!.stop(5000);
      actors = null;
      assert.equal(await system.store.countChunks('handover', cancelJob.documentId), 0);
      assert.deepEqual(await routed(), ['PARSE'], 'nothing went on to index through the broker either');
    });
  });
});
