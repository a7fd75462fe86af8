/**
 * Every delivery settles, whatever throws where: a store that fails on chosen calls cannot stall
 * a consumer, and whether a failure retries is decided by the error's class wherever it is thrown.
 * Runs the real runtime against the real broker under a namespace of its own.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { ContractError } from '../schema/contract-error.ts';
import type { StageActor } from '../messaging/actor-runtime.ts';
import type { Broker } from '../messaging/broker.ts';
import type { Topology } from '../messaging/topology.ts';
import { EmbedderMismatchError } from '../schema/embedder-mismatch.ts';
import type { Store } from '../stores/store.ts';
import { nextMessage, statusOnceIs } from './support/probes.ts';
import { openRuntimeHarness, type RuntimeHarness } from './support/runtime-harness.ts';
import { withAmqp } from './support/test-system.ts';

/** The store, with the next `count` calls of each named method throwing. */
function failingStore(store: Store, failures: Partial<Record<keyof Store, number>>): Store {
  const left = new Map(Object.entries(failures));
  return new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const remaining = left.get(String(property)) ?? 0;
        if (remaining > 0) {
          left.set(String(property), remaining - 1);
          return Promise.reject(new Error(`database is locked (injected into ${String(property)})`));
        }
        return value.apply(target, args);
      };
    },
  });
}

/** A CHUNK-stage actor whose handler the test chooses; it hands an EMBED message on. */
function chunkStageActor(handle: StageActor<{ jobId: string }>['handle']): StageActor<{ jobId: string }> {
  return {
    stage: 'CHUNK',
    parse: (value) => value as { jobId: string },
    jobOf: (message) => ({ jobId: message.jobId, collection: 'settle', documentId: `doc-${message.jobId}`, priority: 'NORMAL' }),
    handle,
  };
}

describe('actor runtime: every delivery settles', function () {
  this.timeout(60_000);
  let harness: RuntimeHarness;
  let names: Topology;
  let store: Store;
  let broker: Broker;

  before(async () => {
    harness = await openRuntimeHarness('settlement');
    ({ names, store, broker } = harness);
  });
  afterEach(async () => {
    await harness.stopRuntimes();
    await withAmqp(async (channel) => {
      await channel.purgeQueue(names.stageQueue('CHUNK'));
      await channel.purgeQueue(names.stageQueue('EMBED'));
    });
  });
  after(() => harness.close());

  const run = (actor: StageActor<any>, runtimeStore: Store) => harness.run(actor, { prefetch: 1, store: runtimeStore });

  async function newJob(): Promise<string> {
    const jobId = randomUUID();
    await store.createJob({ id: jobId, collection: 'settle', documentId: `doc-${jobId}`, priority: 'NORMAL' });
    return jobId;
  }

  async function publish(jobId: string): Promise<void> {
    await broker.publish(names.workExchange, names.stageKey('CHUNK'), Buffer.from(JSON.stringify({ jobId })), { headers: { 'x-attempt': 1 } });
  }

  const takeOne = nextMessage;
  const waitForStatus = (jobId: string, wanted: string) => statusOnceIs(store, jobId, wanted);

  async function queueCounts(queue: string): Promise<{ ready: number; consumers: number }> {
    return withAmqp(async (channel) => {
      const { messageCount, consumerCount } = await channel.checkQueue(queue);
      return { ready: messageCount, consumers: consumerCount };
    });
  }

  it('when the store throws before the handler runs, should return the delivery and process it and the next one (prefetch 1)', async () => {
    const handled: string[] = [];
    run(chunkStageActor(async (message) => { handled.push(message.jobId); return { next: { jobId: message.jobId } }; }),
      failingStore(store, { updateJob: 2 }));
    const first = await newJob();
    const second = await newJob();
    await publish(first);
    await publish(second);
    const handedOn = [await takeOne(names.stageQueue('EMBED')), await takeOne(names.stageQueue('EMBED'))];
    assert.deepEqual(handedOn.map((message) => message && JSON.parse(message.content.toString()).jobId).sort(), [first, second].sort());
    assert.deepEqual([...handled].sort(), [first, second].sort(), 'each handled once the store answered');
    assert.equal((await queueCounts(names.stageQueue('CHUNK'))).ready, 0, 'nothing left waiting');
  });

  it('when the store throws while a finished job keeps its resume point, should return the delivery and then drop it', async () => {
    let handled = 0;
    run(chunkStageActor(async (message) => { handled += 1; return { next: { jobId: message.jobId } }; }),
      failingStore(store, { saveResumePoint: 2 }));
    const jobId = await newJob();
    await store.updateJob(jobId, { status: 'CANCELLED', error: 'cancelled by request' });
    await publish(jobId);
    const deadline = Date.now() + 15_000;
    while (!(await store.getResumePoint(jobId)) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal((await store.getResumePoint(jobId))?.stage, 'CHUNK', 'the resume point was saved on a later delivery');
    assert.equal(handled, 0, 'a cancelled job is not handled');
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal((await queueCounts(names.stageQueue('CHUNK'))).ready, 0, 'acked in the end: nothing waits');
    assert.equal(await takeOne(names.stageQueue('EMBED'), 200), null, 'nothing handed on');
  });

  it('when recording a failure throws, should return the delivery and record it on a later one', async () => {
    run(chunkStageActor(async () => { throw new EmbedderMismatchError('settle', { name: 'a', dimension: 3 }, { name: 'b', dimension: 4 }); }),
      failingStore(store, { saveResumePoint: 1 }));
    const jobId = await newJob();
    await publish(jobId);
    assert.equal(await waitForStatus(jobId, 'FAILED'), 'FAILED');
    assert.equal((await queueCounts(names.stageQueue('CHUNK'))).ready, 0);
  });

  describe('whether a failure retries is a property of the error', () => {
    it('when a handler throws an embedder mismatch (not a PermanentError), should fail the job on the first attempt', async () => {
      let attempts = 0;
      run(chunkStageActor(async () => { attempts += 1; throw new EmbedderMismatchError('settle', { name: 'hashing', dimension: 384 }, { name: 'ollama', dimension: 768 }); }), store);
      const jobId = await newJob();
      await publish(jobId);
      assert.equal(await waitForStatus(jobId, 'FAILED'), 'FAILED');
      const job = await store.getJob(jobId);
      assert.match(String(job?.error), /was indexed with embedder hashing \(384 dimensions\)/);
      assert.equal(job?.attempts, 1);
      assert.equal(attempts, 1, 'not retried');
    });

    it('when a handler overflows the stack, should fail the job at once with a message that says so', async () => {
      const nest = (depth: number): number => nest(depth + 1) + 1;
      let attempts = 0;
      run(chunkStageActor(async () => { attempts += 1; return { next: nest(0) }; }), store);
      const jobId = await newJob();
      await publish(jobId);
      assert.equal(await waitForStatus(jobId, 'FAILED'), 'FAILED');
      assert.match(String((await store.getJob(jobId))?.error), /nested too deeply/);
      assert.equal(attempts, 1, 'not retried');
    });

    it('when a handler throws a ContractError, should dead-letter the message unchanged at once', async () => {
      let attempts = 0;
      run(chunkStageActor(async () => { attempts += 1; throw new ContractError('chunks.0.text', 'must not be empty'); }), store);
      const jobId = await newJob();
      await publish(jobId);
      const dead = await takeOne(names.deadLetterQueue('CHUNK'));
      assert.equal(dead && JSON.parse(dead.content.toString()).jobId, jobId);
      assert.match(String(dead?.properties.headers?.['x-error']), /^chunks\.0\.text: must not be empty/);
      assert.equal(await waitForStatus(jobId, 'DEAD_LETTERED'), 'DEAD_LETTERED');
      assert.equal(attempts, 1);
    });
  });
});
