/**
 * The priority check for either queue type: inside each classic queue (x-max-priority), or by
 * band with quorum queues (one queue per band, consumers preferring the higher one).
 */
import assert from 'node:assert/strict';
import { gqlData, waitForJob } from './graphql-client.ts';
import { startTestSystem, type TestSystem } from './test-system.ts';
import type { QueueType } from '../../messaging/topology.ts';

/** Registers the suite; `amqpUrl` (read when the suite starts) points it at another broker, e.g. the test cluster. */
export function describePriority(queueType: QueueType, amqpUrl?: () => string): void {
  describe(`priority (${queueType} queues)`, function () {
    this.timeout(120_000);
    let system: TestSystem;

    before(async () => { system = await startTestSystem({ actors: false, config: { prefetch: 2, queueType, ...(amqpUrl ? { amqpUrl: amqpUrl() } : {}) } }); });
    after(async () => { await system?.stop(); });

    it('when an URGENT job joins a backlog of LOW jobs, should finish before most of them', async () => {
      const text = (i: number) => `# Report ${i}\n\n${'Quarterly figures for the northern depot were steady. '.repeat(40)}`;
      const low = await gqlData(system.url, 'mutation($inputs: [IngestInput!]!) { ingestDocuments(inputs: $inputs) { id priority } }', {
        inputs: Array.from({ length: 40 }, (_, i) => ({ collection: 'prio', text: text(i), mimeType: 'text/markdown', priority: 'LOW' })),
      });
      const { ingestDocument: urgent } = await gqlData(system.url, 'mutation($input: IngestInput!) { ingestDocument(input: $input) { id priority } }', {
        input: { collection: 'prio', text: text(999), mimeType: 'text/markdown', priority: 'URGENT' },
      });
      assert.equal(urgent.priority, 'URGENT');
      await system.startActors();
      const finished = await Promise.all([...low.ingestDocuments, urgent].map((job: any) => waitForJob(system.url, job.id, 90_000)));
      assert.ok(finished.every((job) => job.status === 'SUCCEEDED'));
      const urgentDone = new Date(finished.at(-1).finishedAt).getTime();
      const lowBefore = finished.slice(0, -1).filter((job) => new Date(job.finishedAt).getTime() < urgentDone).length;
      assert.ok(lowBefore < 20, `the URGENT job finished after ${lowBefore} of 40 LOW jobs`);
    });
  });
}
