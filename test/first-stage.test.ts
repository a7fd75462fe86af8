/**
 * Where a job starts (issue 15): inline content has no fetching to do, so the gateway publishes
 * it straight to the parse stage; a URL still goes to the fetch stage first.
 */
import assert from 'node:assert/strict';
import { STAGES } from '../schema/domain.ts';
import { startDocumentServer, type DocumentServer } from './support/document-server.ts';
import { eventually } from './support/contract-vectors.ts';
import { collect, gqlData, wsClient } from './support/graphql-client.ts';
import { startTestSystem, withAmqp, type TestSystem } from './support/test-system.ts';

const INGEST = 'mutation($input: IngestInput!) { ingestDocument(input: $input) { id status stage } }';
const JOB = 'query($id: ID!) { job(id: $id) { status stage attempts } }';
const PROGRESS = 'subscription($id: ID!) { jobProgress(id: $id) { stage status message } }';

describe('the first stage of a job', function () {
  this.timeout(60_000);
  let system: TestSystem;
  let documents: DocumentServer;

  before(async () => {
    documents = await startDocumentServer();
    system = await startTestSystem({ actors: false });
  });
  after(async () => {
    await system?.stop();
    await documents?.close();
  });

  const depth = (stage: 'FETCH' | 'PARSE') =>
    withAmqp(async (channel) => (await channel.checkQueue(system.names.stageQueue(stage))).messageCount);

  /** The stages a job's events name, in order, from its QUEUED state to its end; the job runs once subscribed. */
  async function stagesOf(jobId: string, start: () => Promise<void>): Promise<{ stages: string[]; events: any[] }> {
    const client = wsClient(system.url);
    try {
      const done = collect(client, PROGRESS, { id: jobId });
      // The first event is the current state; let the subscription register before work starts.
      await new Promise((resolve) => setTimeout(resolve, 200));
      await start();
      const events = (await done).map((event: any) => event.jobProgress);
      return { stages: [...new Set(events.map((event) => event.stage as string | null).filter((stage): stage is string => stage !== null))], events };
    } finally {
      await client.dispose();
    }
  }

  it('when content is sent inline, should wait QUEUED in PARSE and succeed without the fetch stage, whose queue stays empty', async () => {
    const { ingestDocument } = await gqlData(system.url, INGEST, { input: { collection: 'entry', text: '# Wrens\n\nWrens sing loudly for their size.' } });
    assert.deepEqual({ status: ingestDocument.status, stage: ingestDocument.stage }, { status: 'QUEUED', stage: 'PARSE' });
    await eventually(async () => assert.equal(await depth('PARSE'), 1, 'published to the parse queue'));
    assert.equal(await depth('FETCH'), 0);
    assert.deepEqual(await gqlData(system.url, JOB, { id: ingestDocument.id }), { job: { status: 'QUEUED', stage: 'PARSE', attempts: 0 } });

    // No fetch actor at all: the job needs none.
    const { stages, events } = await stagesOf(ingestDocument.id, () => system.startActors(['PARSE', 'CHUNK', 'EMBED', 'INDEX']));
    assert.equal(events.at(-1).status, 'SUCCEEDED');
    assert.deepEqual(stages, ['PARSE', 'CHUNK', 'EMBED', 'INDEX']);
    assert.ok(!events.some((event) => /FETCH/.test(event.message ?? '')), `no FETCH event: ${JSON.stringify(events)}`);
    assert.equal(await depth('FETCH'), 0, 'nothing ever went to the fetch queue');
  });

  it('when a URL is sent, should wait QUEUED in FETCH until a fetch actor takes it, then pass every stage', async () => {
    const url = documents.urlOf('Kestrels hover before they stoop.');
    const { ingestDocument } = await gqlData(system.url, INGEST, { input: { collection: 'entry', url } });
    assert.deepEqual({ status: ingestDocument.status, stage: ingestDocument.stage }, { status: 'QUEUED', stage: 'FETCH' });
    // The parse actor runs (from the test before) and is idle: the job waits for a fetch actor.
    await eventually(async () => assert.equal(await depth('FETCH'), 1, 'published to the fetch queue'));
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(await gqlData(system.url, JOB, { id: ingestDocument.id }), { job: { status: 'QUEUED', stage: 'FETCH', attempts: 0 } });

    const { stages, events } = await stagesOf(ingestDocument.id, async () => {
      await system.stopActors();
      await system.startActors();
    });
    assert.equal(events.at(-1).status, 'SUCCEEDED');
    assert.deepEqual(stages, [...STAGES]);
    assert.equal(await depth('FETCH'), 0);
  });
});
