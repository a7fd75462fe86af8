/**
 * The outbox is the point of acceptance: a job whose message was committed but never published
 * (its gateway died between the two, or the broker was away) is published by whichever relay
 * reads the outbox next, and the job succeeds; a message claimed by a relay that died is taken
 * over when its lease ends.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { AMQP_PRIORITY } from '../../schema/domain.ts';
import type { FetchRequest } from '../../schema/messages/fetch-request.ts';
import type { OutboxMessage } from '../../stores/store.ts';
import { eventually } from '../support/contract-vectors.ts';
import { startTestSystem, type TestSystem } from '../support/test-system.ts';

describe('fault: the outbox after a gateway died', function () {
  this.timeout(60_000);
  let system: TestSystem;

  before(async () => { system = await startTestSystem({ config: { outboxLeaseMs: 1000 } }); });
  after(async () => { await system?.stop(); });

  /** What ingest commits for an inline text: the job and its fetch message. */
  function accepted(text: string): { job: { id: string; collection: string; documentId: string; priority: 'NORMAL' }; message: OutboxMessage } {
    const job = { id: randomUUID(), collection: 'outbox', documentId: `doc-${randomUUID()}`, priority: 'NORMAL' as const };
    const body: FetchRequest = {
      type: 'fetch.request', version: 1,
      job: { jobId: job.id, collection: job.collection, documentId: job.documentId, priority: job.priority },
      document: { title: 'Outbox', mimeType: 'text/plain', sourceUrl: null, metadata: {}, contentHash: null },
      source: { kind: 'inline', contentBase64: Buffer.from(text).toString('base64') },
    };
    return {
      job,
      message: {
        exchange: system.names.workExchange, routingKey: system.names.stageKey('FETCH'), content: Buffer.from(JSON.stringify(body)),
        priority: AMQP_PRIORITY.NORMAL, options: { priority: AMQP_PRIORITY.NORMAL, contentType: 'application/json', headers: { 'x-attempt': 1 } },
      },
    };
  }

  async function waitForStatus(id: string, wanted: string, timeoutMs = 20_000): Promise<string | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const status = (await system.store.getJob(id))?.status;
      if (status === wanted || Date.now() > deadline) return status;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  it('when a job was committed by a gateway that died before publishing, should be published by the running relay and succeed', async () => {
    const { job, message } = accepted('Committed, never published: cormorants dry their wings.');
    await system.store.acceptJob(job, message); // as a gateway would, then died: nobody notified the relay
    assert.equal(await waitForStatus(job.id, 'SUCCEEDED'), 'SUCCEEDED');
    // The relay removes its entries after the batch's confirms, so possibly after the job ended.
    await eventually(async () => assert.equal(await system.store.countOutbox(), 0));
    assert.equal(await system.store.countChunks(job.collection, job.documentId), (await system.store.getJob(job.id))?.chunkCount);
  });

  it('when a relay claimed a message and died, should publish it after the lease and succeed once', async () => {
    const { job, message } = accepted('Claimed by a relay that died: gannets dive.');
    // Commit and claim in one go, as a relay that then died would: the running relay must wait out the lease.
    await system.store.acceptJob(job, message);
    const claimed = await system.store.claimOutbox(100, 1000);
    assert.ok(claimed.some((entry) => entry.jobId === job.id) || (await system.store.getJob(job.id))?.status !== 'QUEUED',
      'claimed here (or already taken by the running relay)');
    assert.equal(await waitForStatus(job.id, 'SUCCEEDED'), 'SUCCEEDED');
    // The relay removes its entries after the batch's confirms, so possibly after the job ended.
    await eventually(async () => assert.equal(await system.store.countOutbox(), 0));
  });
});
