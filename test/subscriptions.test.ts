import assert from 'node:assert/strict';
import { STAGES } from '../schema/domain.ts';
import { JOB_FIELDS, collect, gqlData, waitForJob, wsClient } from './support/graphql-client.ts';
import { startTestSystem, type TestSystem } from './support/test-system.ts';

const INGEST = `mutation($input: IngestInput!) { ingestDocument(input: $input) { id } }`;
const PROGRESS = `subscription($id: ID!) { jobProgress(id: $id) { stage status progress message at job { ${JOB_FIELDS} } } }`;

describe('job progress subscriptions', function () {
  this.timeout(60_000);
  let system: TestSystem;

  before(async () => { system = await startTestSystem({ actors: false }); });
  after(async () => { await system?.stop(); });

  it('when subscribed before the work starts, should see every stage in order, then the terminal state, then complete', async () => {
    const { ingestDocument } = await gqlData(system.url, INGEST, { input: { collection: 'subs', text: '# Kelp\n\nKelp forests grow fast in cold water.', mimeType: 'text/markdown' } });
    const client = wsClient(system.url);
    try {
      const events = collect(client, PROGRESS, { id: ingestDocument.id });
      // The first event is the current state; give the subscription a moment to be registered before work starts.
      await new Promise((resolve) => setTimeout(resolve, 200));
      await system.startActors();
      const seen = (await events).map((event: any) => event.jobProgress);
      assert.equal(seen[0].status, 'QUEUED', 'first event is the current state');
      assert.equal(seen[0].stage, 'PARSE', 'waiting in the stage it starts at');
      const last = seen.at(-1);
      assert.equal(last.status, 'SUCCEEDED');
      assert.equal(last.progress, 1);
      const stages = [...new Set(seen.map((event: any) => event.stage).filter(Boolean))];
      assert.deepEqual(stages, STAGES.filter((stage) => stage !== 'FETCH'), 'every stage from PARSE (inline text needs no fetch), in pipeline order');
      for (let i = 1; i < seen.length; i++) {
        assert.ok(seen[i].progress >= seen[i - 1].progress, 'progress never goes back');
        assert.ok(seen[i].job.updatedAt >= seen[i - 1].job.updatedAt);
      }
    } finally {
      await client.dispose();
    }
  });

  it('when subscribing after the job finished, should get the final state and complete', async () => {
    const { ingestDocument } = await gqlData(system.url, INGEST, { input: { collection: 'subs', text: 'Sea otters crack urchins on their bellies.' } });
    const finished = await waitForJob(system.url, ingestDocument.id);
    const client = wsClient(system.url);
    try {
      const events = await collect(client, PROGRESS, { id: ingestDocument.id });
      assert.equal(events.length, 1);
      assert.equal(events[0].jobProgress.status, 'SUCCEEDED');
      assert.equal(events[0].jobProgress.job.chunkCount, finished.chunkCount);
    } finally {
      await client.dispose();
    }
  });

  it('when the end of a job goes out as no event, should still see it, read from the store, and complete', async () => {
    // No actor, so nothing but this test changes the job.
    const actorsWereRunning = system.actors !== null;
    await system.stopActors();
    const { ingestDocument } = await gqlData(system.url, INGEST, { input: { collection: 'subs', text: 'Kelp holds otters in place.' } });
    const client = wsClient(system.url);
    try {
      const events = collect(client, PROGRESS, { id: ingestDocument.id }, 10_000);
      await new Promise((resolve) => setTimeout(resolve, 300));
      // Ended in the store alone, as by a process that had not heard the subscriber's announcement.
      await system.store.updateJob(ingestDocument.id, { status: 'CANCELLED', error: 'ended without an event' });
      const seen = (await events).map((event: any) => event.jobProgress);
      assert.deepEqual(seen.map((event: any) => event.status), ['QUEUED', 'CANCELLED']);
    } finally {
      await client.dispose();
      if (actorsWereRunning) await system.startActors();
    }
  });

  it('when following a collection, should receive events of that collection only', async () => {
    const client = wsClient(system.url);
    const received: any[] = [];
    const dispose = client.subscribe({ query: 'subscription { jobEvents(collection: "watched") { status job { id collection } } }' }, {
      next: (value) => received.push((value.data as any).jobEvents), error: () => {}, complete: () => {},
    });
    try {
      await new Promise((resolve) => setTimeout(resolve, 300));
      const other = await gqlData(system.url, INGEST, { input: { collection: 'unwatched', text: 'Puffins nest in burrows.' } });
      const watched = await gqlData(system.url, INGEST, { input: { collection: 'watched', text: 'Gannets dive from thirty metres.' } });
      await waitForJob(system.url, other.ingestDocument.id);
      await waitForJob(system.url, watched.ingestDocument.id);
      const deadline = Date.now() + 5000;
      while (!received.some((event) => event.status === 'SUCCEEDED') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.ok(received.length > 0);
      assert.ok(received.every((event) => event.job.collection === 'watched'));
      assert.ok(received.some((event) => event.job.id === watched.ingestDocument.id && event.status === 'SUCCEEDED'));
    } finally {
      dispose();
      await client.dispose();
    }
  });

  it('when the job does not exist, should end the subscription with NOT_FOUND', async () => {
    const client = wsClient(system.url);
    try {
      await assert.rejects(collect(client, PROGRESS, { id: 'no-such-job' }), /NOT_FOUND|does not exist/);
    } finally {
      await client.dispose();
    }
  });
});
