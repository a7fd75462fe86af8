/**
 * Faults that are the data's, not the infrastructure's: malformed JSON, a contract violation, a
 * document that crashes its parser, an embedder that keeps failing, a handler that hangs, a job
 * that stalls. Each ends in the documented terminal state, dead letters can be listed and
 * replayed, and retried jobs resume at the stage that failed.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Embedder } from '../../embedders/embedder.ts';
import { HashingEmbedder } from '../../embedders/hashing-embedder.ts';
import { RetryableError } from '../../messaging/errors.ts';
import type { StageActor } from '../../messaging/actor-runtime.ts';
import { startDocumentServer, type DocumentServer } from '../support/document-server.ts';
import { gql, gqlData, waitForJob } from '../support/graphql-client.ts';
import { BURST, Ledger } from '../support/ledger.ts';
import { defaultConfig } from '../../config/config.ts';
import { startTestSystem, withAmqp, type TestSystem } from '../support/test-system.ts';

const POISON_EMBED = 'quarantine-embedder-marker';
const HANG = 'hang-the-parser-marker';

/** The real embedder, failing (retryably) for texts with the marker while `failing` is set. */
function flakyEmbedder(state: { failing: boolean }): Embedder {
  const real = new HashingEmbedder({ dimension: defaultConfig().hashingDimension });
  return {
    identity: () => real.identity(),
    async embed(texts, signal) {
      if (state.failing && texts.some((text) => text.includes(POISON_EMBED))) throw new RetryableError('embedding service answered 503');
      return real.embed(texts, signal);
    },
  };
}

/** Parse handlers for documents with the marker never return and ignore their signal. */
function hangingParse(actor: StageActor<any>): StageActor<any> {
  if (actor.stage !== 'PARSE') return actor;
  return {
    ...actor,
    handle: (message, context) => Buffer.from(message.contentBase64, 'base64').toString().includes(HANG)
      ? new Promise(() => {})
      : actor.handle(message, context),
  };
}

const DEAD_LETTERS = 'query($stage: Stage) { deadLetters(stage: $stage, first: 50) { jobId stage error attempts firstFailedAt lastFailedAt collection messageType } }';

describe('fault: poison, failing dependencies, hangs and stalls', function () {
  this.timeout(90_000);
  let system: TestSystem;
  const embedderState = { failing: true };

  before(async () => {
    system = await startTestSystem({
      actors: false,
      config: { stageTimeoutMs: 400, maxAttempts: 3, maxAttemptsByStage: { EMBED: 2 }, retryDelaysMs: [50, 100] },
    });
    await system.startActors();
    // Swap in the seams: same config, our embedder and the hanging parse wrapper.
    await system.stopActors();
    const { runActors } = await import('../../services/run-actors.ts');
    const { silentLogger } = await import('../../observability/logger.ts');
    system.actors = await runActors(['FETCH', 'PARSE', 'CHUNK', 'EMBED', 'INDEX'], system.config, silentLogger,
      { store: system.store, embedder: flakyEmbedder(embedderState), wrapActor: hangingParse });
  });
  after(async () => { await system?.stop(); });

  it('when poison is injected into a burst, should dead-letter exactly the poison, fail the parser crash, and lose nothing else', async () => {
    const ledger = await Ledger.open('poison', system.names);
    try {
      await ledger.burst(system.url, BURST, 'healthy');
      const embedPoison = await ledger.ingest(system.url, { collection: 'faults', text: `Alpacas hum. ${POISON_EMBED}` });
      const hang = await ledger.ingest(system.url, { collection: 'faults', text: `Sloths nap. ${HANG}` });
      const crash = await ledger.ingest(system.url, { collection: 'faults', contentBase64: Buffer.from('%PDF-1.4 broken').toString('base64'), mimeType: 'application/pdf' });
      for (const id of [embedPoison, hang, crash]) { assert.ok(id); ledger.poison.add(id); }
      // A contract violation (a real job) and bytes that are not JSON, straight into the chunk queue.
      const violated = randomUUID();
      await system.store.createJob({ id: violated, collection: 'faults', documentId: 'violated-doc', priority: 'NORMAL' });
      ledger.accepted.set(violated, 'violated-doc');
      ledger.poison.add(violated);
      await withAmqp(async (channel) => {
        channel.sendToQueue(system.names.stageQueue('CHUNK'), Buffer.from('not json at all'), { persistent: true });
        channel.sendToQueue(system.names.stageQueue('CHUNK'), Buffer.from(JSON.stringify({
          type: 'chunk.request', version: 1, job: { jobId: violated, collection: 'faults', documentId: 'violated-doc', priority: 'NORMAL' },
          document: { title: null, mimeType: 'text/plain', sourceUrl: null, metadata: {}, contentHash: null }, sections: 'nope',
        })), { persistent: true });
      });

      const report = await ledger.check(system.store);
      assert.equal(report.succeeded, BURST);
      const embedJob = await waitForJob(system.url, embedPoison!);
      assert.equal(embedJob.status, 'DEAD_LETTERED');
      assert.equal(embedJob.attempts, 2, 'MAX_ATTEMPTS_EMBED=2 attempts, then the dead-letter queue');
      assert.match(embedJob.error, /EMBED: embedding service answered 503/);
      const hung = await waitForJob(system.url, hang!);
      assert.equal(hung.status, 'DEAD_LETTERED');
      assert.equal(hung.attempts, 3, 'MAX_ATTEMPTS=3 for the other stages');
      assert.match(hung.error, /PARSE exceeded its deadline of 400 ms/);
      const crashed = await waitForJob(system.url, crash!);
      assert.equal(crashed.status, 'FAILED', 'a permanent error is not retried');
      assert.equal(crashed.attempts, 1);

      const { deadLetters } = await gqlData(system.url, DEAD_LETTERS, {});
      assert.equal(deadLetters.length, 4, `dead letters = poison that can retry or is malformed: ${JSON.stringify(deadLetters)}`);
      const embedLetter = deadLetters.find((letter: any) => letter.jobId === embedPoison);
      assert.equal(embedLetter.stage, 'EMBED');
      assert.equal(embedLetter.attempts, 2);
      assert.equal(embedLetter.messageType, 'embed.request');
      assert.equal(embedLetter.collection, 'faults');
      assert.ok(new Date(embedLetter.firstFailedAt) <= new Date(embedLetter.lastFailedAt));
      assert.ok(deadLetters.some((letter: any) => letter.jobId === null && letter.stage === 'CHUNK' && /JSON/.test(letter.error)));
      assert.ok(deadLetters.some((letter: any) => letter.jobId === violated && /sections/.test(letter.error)));
      const again = await gqlData(system.url, DEAD_LETTERS, { stage: 'PARSE' });
      assert.deepEqual(again.deadLetters.map((letter: any) => letter.jobId), [hang], 'listing consumed nothing; the stage filter applies');
    } finally {
      await ledger.close();
    }
  });

  it('when a dead-lettered job is retried after its dependency recovers, should resume at the failed stage with attempts reset', async () => {
    embedderState.failing = false;
    const { deadLetters } = await gqlData(system.url, DEAD_LETTERS, { stage: 'EMBED' });
    const jobId = deadLetters[0].jobId;
    const events: string[] = [];
    const { Broker } = await import('../../messaging/broker.ts');
    const { listenToEvents } = await import('../../messaging/event-listener.ts');
    const { silentLogger } = await import('../../observability/logger.ts');
    const broker = new Broker({ url: system.config.amqpUrl, name: 'retry-watch', publishTimeoutMs: system.config.publishTimeoutMs, logger: silentLogger });
    const listener = await listenToEvents(broker, system.names, 'watch', [`job.*.${jobId}`], (message) => {
      const event = JSON.parse(message.content.toString());
      events.push(`${event.status}:${event.stage}`);
    });
    await broker.start();
    try {
      const { retryJob } = await gqlData(system.url, 'mutation($id: ID!) { retryJob(id: $id) { status stage attempts error } }', { id: jobId });
      assert.equal(retryJob.status, 'QUEUED');
      assert.equal(retryJob.stage, 'EMBED');
      assert.equal(retryJob.attempts, 0);
      assert.equal(retryJob.error, null);
      const done = await waitForJob(system.url, jobId);
      assert.equal(done.status, 'SUCCEEDED');
      assert.equal(done.attempts, 1, 'one fresh attempt');
      assert.ok(await system.store.countChunks('faults', done.documentId) > 0);
      const stages = new Set(events.map((event) => event.split(':')[1]));
      assert.ok(!stages.has('FETCH') && !stages.has('PARSE') && !stages.has('CHUNK'), `resumed at EMBED, not from the start: ${events.join(' ')}`);
      assert.equal((await gqlData(system.url, DEAD_LETTERS, { stage: 'EMBED' })).deadLetters.length, 0, 'moved out of the dead-letter queue');
    } finally {
      await listener.stop();
      await broker.close();
    }
  });

  it('when dead letters are replayed, should move only the matching ones back and count them', async () => {
    const none = await gqlData(system.url, 'mutation { replayDeadLetters(jobIds: ["no-such-job"]) }');
    assert.equal(none.replayDeadLetters, 0);
    const { replayDeadLetters } = await gqlData(system.url, 'mutation { replayDeadLetters(stage: CHUNK, limit: 5) }');
    assert.equal(replayDeadLetters, 2, 'the malformed message and the contract violation');
    // Poison stays poison: both come back to the dead-letter queue, the job DEAD_LETTERED again.
    const deadline = Date.now() + 10_000;
    let letters: any[] = [];
    while (Date.now() < deadline) {
      letters = (await gqlData(system.url, DEAD_LETTERS, { stage: 'CHUNK' })).deadLetters;
      if (letters.length === 2) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(letters.length, 2);
    assert.ok(letters.every((letter) => letter.attempts === 1), 'a replay starts counting again');
  });

  it('when a job failed permanently, should retry from the failing stage, and refuse jobs that are not finished', async () => {
    const { jobs } = await gqlData(system.url, 'query { jobs(collection: "faults", status: FAILED, first: 5) { edges { node { id stage } } } }');
    const failed = jobs.edges[0].node;
    assert.equal(failed.stage, 'PARSE');
    const { retryJob } = await gqlData(system.url, 'mutation($id: ID!) { retryJob(id: $id) { status stage attempts } }', { id: failed.id });
    assert.deepEqual(retryJob, { status: 'QUEUED', stage: 'PARSE', attempts: 0 });
    const again = await waitForJob(system.url, failed.id);
    assert.equal(again.status, 'FAILED', 'the document is still broken');
    assert.equal(again.stage, 'PARSE');

    const { ingestDocument } = await gqlData(system.url, 'mutation { ingestDocument(input: { collection: "faults", text: "Herons wait." }) { id } }');
    await waitForJob(system.url, ingestDocument.id);
    const refused = await gql(system.url, 'mutation($id: ID!) { retryJob(id: $id) { id } }', { id: ingestDocument.id });
    assert.equal(refused.errors?.[0]?.extensions?.code, 'CONFLICT');
    assert.match(refused.errors![0]!.message, /SUCCEEDED; only FAILED, DEAD_LETTERED, CANCELLED/);
    const missing = await gql(system.url, 'mutation { retryJob(id: "nope") { id } }');
    assert.equal(missing.errors?.[0]?.extensions?.code, 'NOT_FOUND');
  });

  it('when jobs are retried in bulk, should resume every retryable job of the collection', async () => {
    const { retryJobs } = await gqlData(system.url, 'mutation { retryJobs(collection: "faults", status: DEAD_LETTERED) }');
    assert.ok(retryJobs >= 2, `the hung parse job and the contract violation resumed: ${retryJobs}`);
    const bad = await gql(system.url, 'mutation { retryJobs(status: RUNNING) }');
    assert.equal(bad.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
  });
});

describe('fault: a job without progress', function () {
  this.timeout(60_000);
  let system: TestSystem;
  let documents: DocumentServer;

  before(async () => {
    documents = await startDocumentServer();
    system = await startTestSystem({ actors: false, config: { stallTimeoutMs: 300, stallCheckIntervalMs: 100 } });
  });
  after(async () => {
    await system?.stop();
    await documents?.close();
  });

  it('when no actor takes a job for the stall timeout, should mark it FAILED "stalled in stage X" at the stage it waits in (PARSE inline, FETCH by URL), and a retry resumes it', async () => {
    const ingest = async (input: Record<string, unknown>) =>
      (await gqlData(system.url, 'mutation($input: IngestInput!) { ingestDocument(input: $input) { id } }', { input })).ingestDocument.id as string;
    const inline = await ingest({ collection: 'stall', text: 'Tortoises are patient.' });
    const byUrl = await ingest({ collection: 'stall', url: documents.urlOf('Tortoises live long.') });
    for (const [id, stage] of [[inline, 'PARSE'], [byUrl, 'FETCH']] as const) {
      const stalled = await waitForJob(system.url, id, 10_000);
      assert.equal(stalled.status, 'FAILED');
      assert.match(stalled.error, new RegExp(`^stalled in stage ${stage}: .* while QUEUED`));
    }
    // The messages were still queued: once actors run they drop them and keep them as resume points.
    await system.startActors();
    for (const [id, stage] of [[inline, 'PARSE'], [byUrl, 'FETCH']] as const) {
      const deadline = Date.now() + 10_000;
      while (!await system.store.getResumePoint(id)) {
        if (Date.now() > deadline) throw new Error('no resume point kept');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const { retryJob } = await gqlData(system.url, 'mutation($id: ID!) { retryJob(id: $id) { id stage } }', { id });
      assert.equal(retryJob.stage, stage, 'resumed at the stage it stalled in');
      assert.equal((await waitForJob(system.url, id)).status, 'SUCCEEDED');
    }
  });
});
