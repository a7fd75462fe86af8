/**
 * One conformance suite, every actor: each stage's actor, run by the shared runtime against the
 * real broker, acks on success and hands the next stage its message, dead-letters a poison message
 * unchanged, and retries a retryable error with the attempt count in a header.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { GetMessage } from 'amqplib';
import { STAGES, nextStage, type Stage } from '../schema/domain.ts';
import { silentLogger } from '../observability/logger.ts';
import type { SystemConfig } from '../config/config.ts';
import { createEmbedder } from '../config/components.ts';
import type { HandlerContext, StageActor } from '../messaging/actor-runtime.ts';
import type { Broker } from '../messaging/broker.ts';
import { RetryableError } from '../messaging/errors.ts';
import type { Topology } from '../messaging/topology.ts';
import { stageActor } from '../services/stage-actors.ts';
import type { Store } from '../stores/store.ts';
import { nextMessage, statusOnceIs } from './support/probes.ts';
import { openRuntimeHarness, type RuntimeHarness } from './support/runtime-harness.ts';
import { withAmqp } from './support/test-system.ts';

describe('actor conformance', function () {
  this.timeout(60_000);
  let harness: RuntimeHarness;
  let config: SystemConfig;
  let names: Topology;
  let store: Store;
  let broker: Broker;

  before(async () => {
    harness = await openRuntimeHarness('conformance');
    ({ config, names, store, broker } = harness);
  });
  after(() => harness.close());

  /** A valid message for every stage, made by running the stages before it. */
  async function messagesFor(jobId: string): Promise<Record<Stage, unknown>> {
    await store.createJob({ id: jobId, collection: 'conformance', documentId: `doc-${jobId}`, priority: 'NORMAL' });
    // The fetch message carries inline content: the gateway sends such content to PARSE, but the
    // fetch actor still takes one (a resume point or dead letter kept from before) and needs no server.
    const messages: Partial<Record<Stage, unknown>> = {
      FETCH: {
        type: 'fetch.request', version: 1,
        job: { jobId, collection: 'conformance', documentId: `doc-${jobId}`, priority: 'NORMAL' },
        document: { title: 'Moths', mimeType: 'text/markdown', sourceUrl: null, metadata: {}, contentHash: null },
        source: { kind: 'inline', contentBase64: Buffer.from('# Moths\n\nMoths navigate by the moon.').toString('base64') },
      },
    };
    const context: HandlerContext = { stage: 'FETCH', attempt: 1, signal: new AbortController().signal, logger: silentLogger, progress: async () => {} };
    for (const stage of STAGES.slice(0, -1)) {
      const actor = stageActor(stage, config, store, createEmbedder(config));
      const result = await actor.handle(actor.parse(messages[stage]), { ...context, stage });
      messages[nextStage(stage)!] = (result as { next: unknown }).next;
    }
    return messages as Record<Stage, unknown>;
  }

  const run = (actor: StageActor<unknown>) => harness.run(actor, { prefetch: 2 });

  async function takeOne(queue: string): Promise<GetMessage> {
    const message = await nextMessage(queue, 10_000);
    if (!message) throw new Error(`nothing arrived in ${queue}`);
    return message;
  }

  const statusOf = (jobId: string, wanted: string) => statusOnceIs(store, jobId, wanted, 10_000);

  async function depth(queue: string): Promise<number> {
    return withAmqp(async (channel) => (await channel.checkQueue(queue)).messageCount);
  }

  async function publish(stage: Stage, body: Buffer): Promise<void> {
    await broker.publish(names.workExchange, names.stageKey(stage), body, { headers: { 'x-attempt': 1 } });
  }

  for (const stage of STAGES) {
    describe(`the ${stage.toLowerCase()} actor`, () => {
      it('when its message is valid, should hand the next stage its message (or finish the job) and ack', async () => {
        const jobId = randomUUID();
        const messages = await messagesFor(jobId);
        const runtime = run(stageActor(stage, config, store, createEmbedder(config)));
        try {
          await publish(stage, Buffer.from(JSON.stringify(messages[stage])));
          const following = nextStage(stage);
          if (following) {
            const handed = await takeOne(names.stageQueue(following));
            assert.equal(JSON.parse(handed.content.toString()).job.jobId, jobId);
            assert.equal(handed.properties.priority, 2, 'NORMAL priority carried on');
          } else {
            assert.equal(await statusOf(jobId, 'SUCCEEDED'), 'SUCCEEDED');
          }
        } finally {
          await runtime.stop(2000);
        }
        assert.equal(await depth(names.stageQueue(stage)), 0, 'acked: nothing returns to the queue');
      });

      it('when its message is poison, should dead-letter it unchanged and mark the job DEAD_LETTERED', async () => {
        const jobId = randomUUID();
        const messages = await messagesFor(jobId);
        const poison = Buffer.from(JSON.stringify({ ...(messages[stage] as object), version: 99 }));
        const runtime = run(stageActor(stage, config, store, createEmbedder(config)));
        try {
          await publish(stage, poison);
          const dead = await takeOne(names.deadLetterQueue(stage));
          assert.ok(dead.content.equals(poison), 'body unchanged');
          assert.match(String(dead.properties.headers?.['x-error']), /^version/);
          assert.equal(await statusOf(jobId, 'DEAD_LETTERED'), 'DEAD_LETTERED');
        } finally {
          await runtime.stop(2000);
        }
        const following = nextStage(stage);
        if (following) assert.equal(await depth(names.stageQueue(following)), 0, 'nothing handed on');
      });

      it('when its handler fails with a retryable error once, should retry it with the attempt count and then succeed', async () => {
        const jobId = randomUUID();
        const messages = await messagesFor(jobId);
        const actor = stageActor(stage, config, store, createEmbedder(config));
        const attempts: number[] = [];
        const flaky: StageActor<unknown> = {
          ...actor,
          handle: async (message, context) => {
            attempts.push(context.attempt);
            if (context.attempt === 1) throw new RetryableError('upstream hiccup');
            return actor.handle(message, context);
          },
        };
        const runtime = run(flaky);
        try {
          await publish(stage, Buffer.from(JSON.stringify(messages[stage])));
          const following = nextStage(stage);
          if (following) await takeOne(names.stageQueue(following));
          else assert.equal(await statusOf(jobId, 'SUCCEEDED'), 'SUCCEEDED');
          assert.deepEqual(attempts, [1, 2]);
          const job = await store.getJob(jobId);
          assert.equal(job?.attempts, 2);
          if (following) assert.match(String(job?.error), /upstream hiccup/, 'the failed attempt is visible on the running job');
          else assert.equal(job?.error, null, 'a job that succeeded carries no error');
        } finally {
          await runtime.stop(2000);
        }
      });
    });
  }
});
