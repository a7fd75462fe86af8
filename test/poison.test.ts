import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { gqlData, waitForJob } from './support/graphql-client.ts';
import { startTestSystem, withAmqp, type TestSystem } from './support/test-system.ts';

describe('poison messages', function () {
  this.timeout(60_000);
  let system: TestSystem;

  before(async () => { system = await startTestSystem(); });
  after(async () => { await system?.stop(); });

  async function deadLetters(queue: string, expected: number) {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const count = await withAmqp(async (channel) => (await channel.checkQueue(queue)).messageCount);
      if (count >= expected || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return withAmqp(async (channel) => {
      const messages = [];
      for (;;) {
        const message = await channel.get(queue, { noAck: false });
        if (!message) break;
        messages.push(message);
      }
      await channel.recover(); // return them to the queue: the test only looks
      return messages;
    });
  }

  it('when malformed JSON and a contract violation reach a stage, should dead-letter them unchanged and leave other jobs unaffected', async () => {
    const { ingestDocument: victim } = await gqlData(system.url, 'mutation($input: IngestInput!) { ingestDocument(input: $input) { id documentId } }',
      { input: { collection: 'poison', text: 'Starlings murmurate at dusk.' } });
    await waitForJob(system.url, victim.id);

    // A real job whose parse message violates its contract (mimeType missing), and bytes that are not JSON at all.
    const jobId = randomUUID();
    await system.store.createJob({ id: jobId, collection: 'poison', documentId: 'doc-poison', priority: 'NORMAL' });
    const violation = Buffer.from(JSON.stringify({
      type: 'parse.request', version: 1,
      job: { jobId, collection: 'poison', documentId: 'doc-poison', priority: 'NORMAL' },
      document: { title: null, mimeType: null, sourceUrl: null, metadata: {}, contentHash: null },
      contentBase64: 'aGVsbG8=',
    }));
    const garbage = Buffer.from('{"type": "parse.request", nope');
    const queue = system.names.stageQueue('PARSE');
    await withAmqp(async (channel) => {
      channel.sendToQueue(queue, garbage, { persistent: true });
      channel.sendToQueue(queue, violation, { persistent: true });
    });
    const ok = await gqlData(system.url, 'mutation($input: IngestInput!) { ingestDocument(input: $input) { id } }',
      { input: { collection: 'poison', text: 'Swifts sleep on the wing.' } });

    const dead = await deadLetters(system.names.deadLetterQueue('PARSE'), 2);
    assert.equal(dead.length, 2);
    const bodies = dead.map((message) => message.content.toString());
    assert.ok(bodies.includes(garbage.toString()), 'malformed JSON dead-lettered byte for byte');
    assert.ok(bodies.includes(violation.toString()), 'contract violation dead-lettered byte for byte');
    for (const message of dead) {
      assert.match(String(message.properties.headers?.['x-error']), /JSON|mimeType/);
      assert.equal(message.properties.headers?.['x-stage'], 'PARSE');
    }
    const violated = dead.find((message) => message.content.equals(violation))!;
    assert.match(String(violated.properties.headers?.['x-error']), /^mimeType/, 'the reason names the field');

    const poisoned = await waitForJob(system.url, jobId);
    assert.equal(poisoned.status, 'DEAD_LETTERED');
    assert.match(poisoned.error, /mimeType/);

    const healthy = await waitForJob(system.url, ok.ingestDocument.id);
    assert.equal(healthy.status, 'SUCCEEDED');
    assert.ok(await system.store.countChunks('poison', victim.documentId) > 0, 'earlier documents untouched');
    const { search } = await gqlData(system.url, 'query { search(collection: "poison", query: "swifts sleep wing") { text } }');
    assert.match(search[0].text, /Swifts/);
  });

  it('when a document crashes its parser, should fail the job with the reason and dead-letter nothing', async () => {
    const { ingestDocument } = await gqlData(system.url, 'mutation($input: IngestInput!) { ingestDocument(input: $input) { id } }',
      { input: { collection: 'poison', contentBase64: Buffer.from('%PDF-1.4 this is not really a pdf').toString('base64'), mimeType: 'application/pdf' } });
    const job = await waitForJob(system.url, ingestDocument.id);
    assert.equal(job.status, 'FAILED');
    assert.equal(job.stage, 'PARSE');
    assert.match(job.error, /PARSE: .*PDF/i);
  });
});
