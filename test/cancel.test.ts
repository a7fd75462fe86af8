import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { JOB_FIELDS, gqlData, waitForJob } from './support/graphql-client.ts';
import { startTestSystem, type TestSystem } from './support/test-system.ts';

describe('cancellation', function () {
  this.timeout(60_000);
  let system: TestSystem;
  let slowServer: Server;
  let slowUrl: string;
  let requests = 0;

  before(async () => {
    // A document server that answers only after a long pause: the fetch stage is slow while it waits.
    slowServer = createServer((_request, response) => {
      requests += 1;
      const timer = setTimeout(() => { response.writeHead(200, { 'content-type': 'text/plain' }); response.end('Slow tortoises win races.'); }, 20_000);
      response.on('close', () => clearTimeout(timer));
    });
    await new Promise<void>((resolve) => slowServer.listen(0, '127.0.0.1', resolve));
    slowUrl = `http://127.0.0.1:${(slowServer.address() as AddressInfo).port}/tortoise.txt`;
    system = await startTestSystem();
  });
  after(async () => {
    await system?.stop();
    slowServer.closeAllConnections();
    await new Promise((resolve) => slowServer.close(resolve));
  });

  it('when a job is cancelled during a slow stage, should abort the handler, end CANCELLED and store no chunks', async () => {
    const { ingestDocument: job } = await gqlData(system.url, `mutation($input: IngestInput!) { ingestDocument(input: $input) { ${JOB_FIELDS} } }`,
      { input: { collection: 'slow', url: slowUrl } });
    const deadline = Date.now() + 10_000;
    while (requests === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(requests, 1, 'the fetch stage is running');

    const { cancelJob } = await gqlData(system.url, `mutation($id: ID!) { cancelJob(id: $id) { ${JOB_FIELDS} } }`, { id: job.id });
    assert.equal(cancelJob.status, 'CANCELLED');
    assert.ok(cancelJob.finishedAt);

    // The handler is aborted: its request to the slow server is closed well before the server answers.
    const closedBy = Date.now() + 5000;
    let open = true;
    while (open && Date.now() < closedBy) {
      open = await new Promise<boolean>((resolve) => slowServer.getConnections((_error, count) => resolve(count > 0)));
      if (open) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(open, false, 'the in-flight fetch was aborted');

    const final = await waitForJob(system.url, job.id);
    assert.equal(final.status, 'CANCELLED');
    assert.equal(await system.store.countChunks('slow', job.documentId), 0);
    assert.equal(await system.store.getDocument('slow', job.documentId), null);
  });

  it('when a queued job is cancelled before any actor takes it, should never run it', async () => {
    await system.stopActors();
    try {
      const { ingestDocument: job } = await gqlData(system.url, 'mutation($input: IngestInput!) { ingestDocument(input: $input) { id documentId } }',
        { input: { collection: 'slow', text: 'Snails carry their houses.' } });
      await gqlData(system.url, 'mutation($id: ID!) { cancelJob(id: $id) { status } }', { id: job.id });
      await system.startActors();
      const final = await waitForJob(system.url, job.id);
      assert.equal(final.status, 'CANCELLED');
      assert.equal(final.attempts, 0, 'no stage ever ran');
      assert.equal(final.stage, 'PARSE', 'inline text waited in the parse stage');
      assert.equal(await system.store.countChunks('slow', job.documentId), 0);
    } finally {
      if (!system.actors) await system.startActors();
    }
  });

  it('when a finished job is cancelled, should leave it as it was', async () => {
    const { ingestDocument: job } = await gqlData(system.url, 'mutation($input: IngestInput!) { ingestDocument(input: $input) { id } }',
      { input: { collection: 'slow', text: 'Hares sleep in forms.' } });
    const done = await waitForJob(system.url, job.id);
    const { cancelJob } = await gqlData(system.url, 'mutation($id: ID!) { cancelJob(id: $id) { status chunkCount } }', { id: job.id });
    assert.equal(cancelJob.status, 'SUCCEEDED');
    assert.equal(cancelJob.chunkCount, done.chunkCount);
  });
});
