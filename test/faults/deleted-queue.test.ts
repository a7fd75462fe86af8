/**
 * An operator deletes a stage queue while the system runs (`rabbitmqctl delete_queue`, or a
 * mistaken clean-up). Publishes are mandatory, so a message with no queue to go to is returned
 * instead of confirmed and dropped: the gateway answers UNAVAILABLE, an actor returns its delivery
 * to its queue, both declare the topology again, and the consumer of the deleted queue consumes
 * the new one. Every accepted job must succeed; nothing reported accepted may be dropped.
 *
 * The queue is deleted while it is idle: deleting a queue deletes the messages in it, and RabbitMQ
 * confirms a message routed to a queue at the instant it is deleted, so those are the operator's to
 * lose (the stall watchdog fails such jobs and retryJob resumes them). What is checked is every
 * publish after the deletion.
 */
import assert from 'node:assert/strict';
import { STAGES } from '../../schema/domain.ts';
import { startDocumentServer, type DocumentServer } from '../support/document-server.ts';
import { Ledger } from '../support/ledger.ts';
import { startTestSystem, withAmqp, type TestSystem } from '../support/test-system.ts';

const BEFORE = 4;
const DURING = 12;
const AFTER = 4;

describe('fault: a stage queue deleted while the system runs', function () {
  this.timeout(120_000);
  let system: TestSystem;
  let documents: DocumentServer;

  before(async () => {
    documents = await startDocumentServer();
    system = await startTestSystem({ config: { publishTimeoutMs: 3000 } });
  });
  after(async () => {
    await system?.stop();
    await documents?.close();
  });

  /** Deletes the queue once it holds no ready message (the broker refuses otherwise). */
  async function deleteWhenEmpty(queue: string): Promise<void> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const deleted = await withAmqp((channel) => channel.deleteQueue(queue, { ifEmpty: true })).then(() => true, () => false);
      if (deleted) return;
      if (Date.now() > deadline) throw new Error(`${queue} never empty enough to delete`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  for (const stage of STAGES) {
    it(`when the ${stage.toLowerCase()} queue is deleted under its consumer, should declare it again, and every job accepted afterwards succeeds`, async () => {
      // Only documents sent by URL pass the fetch stage; inline text starts at parse.
      const ledger = await Ledger.open(`deleted ${stage}`, system.names, undefined, stage === 'FETCH' ? documents : null);
      const queue = system.names.stageQueue(stage);
      try {
        await ledger.burst(system.url, BEFORE, `before-${stage.toLowerCase()}`);
        await ledger.settle(system.store);
        await deleteWhenEmpty(queue);
        for (let index = 0; index < DURING; index += 1) {
          await ledger.ingest(system.url, { collection: 'faults', ...ledger.source(`# ${stage} ${index}\n\nIngested after ${queue} was deleted: herons and tides.`) });
          await new Promise((resolve) => setTimeout(resolve, 25));
        }
        const afterwards = await ledger.burst(system.url, AFTER, `after-${stage.toLowerCase()}`);
        assert.equal(afterwards.length, AFTER, 'once declared again, every ingest is accepted');
        const report = await ledger.check(system.store, 60_000);
        assert.equal(report.succeeded, report.accepted, `every accepted job succeeded: ${JSON.stringify(report)}`);
        const consumers = await withAmqp(async (channel) => (await channel.checkQueue(queue)).consumerCount);
        assert.ok(consumers >= 1, `${queue} is consumed again`);
      } finally {
        await ledger.close();
      }
    });
  }
});
