import assert from 'node:assert/strict';
import { gqlData, waitForJob } from './support/graphql-client.ts';
import { queueDepths, startTestSystem, type TestSystem } from './support/test-system.ts';

const INGEST = 'mutation($input: IngestInput!) { ingestDocument(input: $input) { id documentId } }';
const DELETE = 'mutation($c: String!, $id: ID!) { deleteDocument(collection: $c, id: $id) }';
const SEARCH = 'query($c: String!, $q: String!) { search(collection: $c, query: $q, k: 20) { documentId text } }';

async function ingest(system: TestSystem, collection: string, text: string): Promise<{ id: string; documentId: string }> {
  return (await gqlData(system.url, INGEST, { input: { collection, text } })).ingestDocument;
}

async function search(system: TestSystem, collection: string, query: string): Promise<{ documentId: string; text: string }[]> {
  return (await gqlData(system.url, SEARCH, { c: collection, q: query })).search;
}

describe('deleting documents and collections', function () {
  this.timeout(60_000);
  let system: TestSystem;

  before(async () => { system = await startTestSystem({ actors: false }); });
  after(async () => { await system?.stop(); });
  afterEach(async () => { await system.stopActors(); });

  it('when a document is deleted, should leave no chunk findable and the other documents untouched', async () => {
    await system.startActors();
    const gone = await ingest(system, 'birds', 'Kingfishers dive for minnows along the riverbank.');
    const kept = await ingest(system, 'birds', 'Kingfishers nest in burrows dug into sandy banks.');
    await waitForJob(system.url, gone.id);
    await waitForJob(system.url, kept.id);
    const before = await search(system, 'birds', 'kingfishers');
    assert.deepEqual(new Set(before.map((hit) => hit.documentId)), new Set([gone.documentId, kept.documentId]));
    const keptChunks = await system.store.countChunks('birds', kept.documentId);

    const { deleteDocument } = await gqlData(system.url, DELETE, { c: 'birds', id: gone.documentId });
    assert.equal(deleteDocument, true);
    const after = await search(system, 'birds', 'kingfishers minnows riverbank');
    assert.ok(after.length > 0);
    assert.ok(after.every((hit) => hit.documentId === kept.documentId), JSON.stringify(after));
    assert.equal(await system.store.countChunks('birds', gone.documentId), 0);
    assert.equal(await system.store.countChunks('birds', kept.documentId), keptChunks);
    assert.equal((await gqlData(system.url, 'query($c: String!, $id: ID!) { document(collection: $c, id: $id) { id } }', { c: 'birds', id: gone.documentId })).document, null);
    assert.equal((await gqlData(system.url, DELETE, { c: 'birds', id: gone.documentId })).deleteDocument, false);
  });

  it('when a collection is deleted, should remove its documents and return their number, leaving other collections', async () => {
    await system.startActors();
    const jobs = [await ingest(system, 'doomed', 'Otters hold hands while sleeping.'), await ingest(system, 'doomed', 'Beavers build dams of mud and sticks.')];
    const other = await ingest(system, 'survivor', 'Otters eat sea urchins.');
    for (const job of [...jobs, other]) await waitForJob(system.url, job.id);

    const { deleteCollection } = await gqlData(system.url, 'mutation { deleteCollection(name: "doomed") }');
    assert.equal(deleteCollection, 2);
    assert.deepEqual(await search(system, 'doomed', 'otters'), []);
    assert.equal(await system.store.getCollection('doomed'), null);
    assert.deepEqual((await search(system, 'survivor', 'otters')).map((hit) => hit.documentId), [other.documentId]);
    // The collection can be built again from scratch.
    const again = await ingest(system, 'doomed', 'Otters return.');
    assert.equal((await waitForJob(system.url, again.id)).status, 'SUCCEEDED');
  });

  it('when a document is deleted while its job runs, should end the job CANCELLED and write nothing afterwards', async () => {
    // Every stage but INDEX runs (inline text starts at PARSE), so the job stays RUNNING with its index message waiting.
    await system.startActors(['PARSE', 'CHUNK', 'EMBED']);
    const job = await ingest(system, 'running', 'Swifts sleep on the wing.');
    const deadline = Date.now() + 20_000;
    while ((await system.store.getJob(job.id))?.stage !== 'EMBED' || (await queueDepths(system.names))[system.names.stageQueue('INDEX')] !== 1) {
      if (Date.now() > deadline) throw new Error(`the job did not reach the index stage: ${JSON.stringify(await system.store.getJob(job.id))}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal((await system.store.getJob(job.id))?.status, 'RUNNING');

    const { deleteDocument } = await gqlData(system.url, DELETE, { c: 'running', id: job.documentId });
    assert.equal(deleteDocument, true);
    await system.stopActors();
    await system.startActors(); // the index stage now receives the waiting message
    const finished = await waitForJob(system.url, job.id);
    assert.equal(finished.status, 'CANCELLED');
    assert.equal(finished.error, 'document deleted');
    // The waiting index message has been consumed (and dropped): nothing is left to write.
    const drained = Date.now() + 10_000;
    while ((await queueDepths(system.names))[system.names.stageQueue('INDEX')] !== 0) {
      if (Date.now() > drained) throw new Error('the index message was not consumed');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(await system.store.countChunks('running', job.documentId), 0);
    assert.equal(await system.store.getDocument('running', job.documentId), null);
    assert.deepEqual(await search(system, 'running', 'swifts'), []);
  });
});
