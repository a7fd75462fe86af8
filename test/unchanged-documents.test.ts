/**
 * A document ingested again unchanged (same bytes, media type, title and metadata, same chunk
 * settings) keeps its chunks: its job succeeds at the parse stage without chunking, embedding or
 * writing them again. Anything that would change the chunks, or `force`, processes it.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { STAGES } from '../schema/domain.ts';
import { silentLogger } from '../observability/logger.ts';
import { runActors } from '../services/run-actors.ts';
import { gqlData, waitForJob } from './support/graphql-client.ts';
import { startTestSystem, type TestSystem } from './support/test-system.ts';

const INGEST = 'mutation($input: IngestInput!) { ingestDocument(input: $input) { id } }';
const TEXT = `# Kettles\n\n${'A kettle boils water for tea, and a good one whistles when it is done. '.repeat(40)}`;

describe('a document ingested again unchanged', function () {
  this.timeout(60_000);
  let system: TestSystem;

  before(async () => { system = await startTestSystem(); });
  after(async () => { await system?.stop(); });

  async function ingest(input: Record<string, unknown>): Promise<{ status: string; stage: string; chunkCount: number }> {
    const { ingestDocument } = await gqlData(system.url, INGEST, { input: { collection: 'kettles', documentId: 'kettle-guide', ...input } });
    return waitForJob(system.url, ingestDocument.id);
  }

  it('when the same content, title and metadata come again, should succeed at PARSE with the chunks there are, rewriting nothing', async () => {
    const input = { text: TEXT, mimeType: 'text/markdown', title: 'Kettle guide', metadata: { shelf: 'kitchen', tags: ['tea'] } };
    const first = await ingest(input);
    assert.equal(first.status, 'SUCCEEDED');
    assert.equal(first.stage, 'INDEX');
    assert.ok(first.chunkCount > 1);
    const indexed = await system.store.getDocument('kettles', 'kettle-guide');
    assert.ok(indexed?.fingerprint, 'the index stage keeps what the chunks were made from');

    // The metadata's keys in another order are the same metadata.
    const again = await ingest({ ...input, metadata: { tags: ['tea'], shelf: 'kitchen' } });
    assert.deepEqual({ status: again.status, stage: again.stage, chunkCount: again.chunkCount }, { status: 'SUCCEEDED', stage: 'PARSE', chunkCount: first.chunkCount });
    assert.deepEqual(await system.store.getDocument('kettles', 'kettle-guide'), indexed, 'the document row is not written again');
    assert.equal(await system.store.countChunks('kettles', 'kettle-guide'), first.chunkCount);
  });

  it('when the metadata, the title or the content differ, or force is set, should process the document', async () => {
    const input = { text: TEXT, mimeType: 'text/markdown', title: 'Kettle guide', metadata: { shelf: 'kitchen', tags: ['tea'] } };
    await ingest(input);
    const changes: [string, Record<string, unknown>][] = [
      ['metadata', { ...input, metadata: { shelf: 'pantry', tags: ['tea'] } }],
      ['title', { ...input, metadata: { shelf: 'pantry', tags: ['tea'] }, title: 'Kettles, a guide' }],
      ['content', { ...input, metadata: { shelf: 'pantry', tags: ['tea'] }, title: 'Kettles, a guide', text: `${TEXT}\n\nDescale it monthly.` }],
    ];
    for (const [what, changed] of changes) {
      const job = await ingest(changed);
      assert.deepEqual({ status: job.status, stage: job.stage }, { status: 'SUCCEEDED', stage: 'INDEX' }, `${what} changed`);
    }
    assert.deepEqual((await system.store.getDocument('kettles', 'kettle-guide'))?.metadata, { shelf: 'pantry', tags: ['tea'] });
    const last = changes.at(-1)![1];
    assert.equal((await ingest(last)).stage, 'PARSE', 'unchanged since the last version');
    const forced = await ingest({ ...last, force: true });
    assert.deepEqual({ status: forced.status, stage: forced.stage }, { status: 'SUCCEEDED', stage: 'INDEX' }, 'force');
  });

  it('when the chunk settings changed since it was indexed, should chunk it again', async () => {
    const input = { text: TEXT, mimeType: 'text/markdown', documentId: 'resized' };
    const first = await ingest(input);
    assert.equal(first.stage, 'INDEX');
    await system.stopActors();
    system.actors = await runActors(STAGES, { ...system.config, chunkSize: 300, chunkOverlap: 30 }, silentLogger, { store: system.store });
    const rechunked = await ingest(input);
    assert.equal(rechunked.stage, 'INDEX');
    assert.ok(rechunked.chunkCount > first.chunkCount, `smaller chunks, more of them: ${rechunked.chunkCount} against ${first.chunkCount}`);
    assert.equal((await ingest(input)).stage, 'PARSE', 'unchanged under the new settings');
  });

  it('when a URL is fetched again, should keep its chunks while the page is the same and index it when the page changed', async () => {
    let body = 'The blue kettle sits on the left burner.';
    const server = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      response.end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/kettle.txt`;
      const input = { url, documentId: undefined };
      assert.equal((await ingest(input)).stage, 'INDEX');
      assert.equal((await ingest(input)).stage, 'PARSE');
      body = 'The red kettle sits on the right burner.';
      assert.equal((await ingest(input)).stage, 'INDEX');
      const { search } = await gqlData(system.url, 'query { search(collection: "kettles", query: "kettle burner", k: 10) { text } }');
      const texts = search.map((hit: { text: string }) => hit.text);
      assert.ok(texts.includes(body) && !texts.includes('The blue kettle sits on the left burner.'), `the page's one version: ${JSON.stringify(texts)}`);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
