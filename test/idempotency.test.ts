import assert from 'node:assert/strict';
import { gqlData, waitForJob } from './support/graphql-client.ts';
import { startTestSystem, type TestSystem } from './support/test-system.ts';

const INGEST = 'mutation($input: IngestInput!) { ingestDocument(input: $input) { id documentId } }';
const SEARCH = 'query($q: String!) { search(collection: "idem", query: $q, k: 20) { documentId chunkId text } }';

describe('idempotent ingestion', function () {
  this.timeout(60_000);
  let system: TestSystem;

  before(async () => { system = await startTestSystem(); });
  after(async () => { await system?.stop(); });

  it('when the same document is ingested twice, should keep one copy of its chunks', async () => {
    const text = `# Lichens\n\n${'Lichens are partnerships of a fungus and an alga. '.repeat(60)}`;
    const first = await gqlData(system.url, INGEST, { input: { collection: 'idem', text, mimeType: 'text/markdown' } });
    const second = await gqlData(system.url, INGEST, { input: { collection: 'idem', text, mimeType: 'text/markdown' } });
    assert.equal(first.ingestDocument.documentId, second.ingestDocument.documentId, 'same collection and content → same document');
    assert.notEqual(first.ingestDocument.id, second.ingestDocument.id, 'two jobs');
    const jobs = [await waitForJob(system.url, first.ingestDocument.id), await waitForJob(system.url, second.ingestDocument.id)];
    assert.ok(jobs.every((job) => job.status === 'SUCCEEDED'));
    const stored = await system.store.countChunks('idem', first.ingestDocument.documentId);
    assert.equal(stored, jobs[1].chunkCount);
    const { search } = await gqlData(system.url, SEARCH, { q: 'lichens fungus alga partnership' });
    const ids = search.filter((hit: any) => hit.documentId === first.ingestDocument.documentId).map((hit: any) => hit.chunkId);
    assert.equal(new Set(ids).size, ids.length, 'no chunk twice');
    assert.equal(ids.length, stored);
  });

  it('when a changed version arrives under the same documentId, should replace the old chunks', async () => {
    const v1 = await gqlData(system.url, INGEST, { input: { collection: 'idem', documentId: 'handbook', text: 'Version one talks about marmalade oranges.' } });
    await waitForJob(system.url, v1.ingestDocument.id);
    const v2 = await gqlData(system.url, INGEST, { input: { collection: 'idem', documentId: 'handbook', text: 'Version two talks about gooseberry jam instead.' } });
    const done = await waitForJob(system.url, v2.ingestDocument.id);
    assert.equal(done.status, 'SUCCEEDED');
    const { search } = await gqlData(system.url, SEARCH, { q: 'marmalade oranges gooseberry jam' });
    const texts = search.filter((hit: any) => hit.documentId === 'handbook').map((hit: any) => hit.text);
    assert.deepEqual(texts, ['Version two talks about gooseberry jam instead.']);
    assert.equal(await system.store.countChunks('idem', 'handbook'), 1);
  });

  it('when a documentId is reused in another collection, should index a second document and leave the first untouched', async () => {
    const before = await gqlData(system.url, SEARCH, { q: 'gooseberry jam' });
    const other = await gqlData(system.url, INGEST, { input: { collection: 'other', documentId: 'handbook', text: 'Version two talks about gooseberry jam instead.' } });
    assert.equal((await waitForJob(system.url, other.ingestDocument.id)).status, 'SUCCEEDED');
    assert.deepEqual(await gqlData(system.url, SEARCH, { q: 'gooseberry jam' }), before);
    assert.equal(await system.store.countChunks('idem', 'handbook'), 1);
    assert.equal(await system.store.countChunks('other', 'handbook'), 1);
    const { search } = await gqlData(system.url, 'query { search(collection: "other", query: "gooseberry jam") { documentId chunkId } }');
    assert.deepEqual(search.map((hit: any) => hit.documentId), ['handbook']);
    const own = before.search.filter((hit: any) => hit.documentId === 'handbook').map((hit: any) => hit.chunkId);
    assert.ok(!own.includes(search[0].chunkId), 'the same id and text in two collections never share a chunk id');
  });
});
