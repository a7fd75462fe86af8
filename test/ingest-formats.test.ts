import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { makePdf } from './fixtures/make-pdf.ts';
import { JOB_FIELDS, gql, gqlData, waitForJob } from './support/graphql-client.ts';
import { startTestSystem, type TestSystem } from './support/test-system.ts';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/docs/${name}`, import.meta.url), 'utf8');

const INGEST = `mutation($input: IngestInput!) { ingestDocument(input: $input) { ${JOB_FIELDS} } }`;
const SEARCH = `query($c: String!, $q: String!, $k: Int, $f: JSON) {
  search(collection: $c, query: $q, k: $k, filter: $f) { chunkId documentId text score ordinal title metadata } }`;

describe('ingestion end to end', function () {
  this.timeout(60_000);
  let system: TestSystem;

  before(async () => { system = await startTestSystem(); });
  after(async () => { await system?.stop(); });

  it('when Markdown, HTML, plain text and a PDF are ingested, should succeed each and find each by its own words', async () => {
    const inputs = [
      { collection: 'mixed', text: fixture('guide.md'), mimeType: 'text/markdown', metadata: { kind: 'guide' } },
      { collection: 'mixed', text: fixture('page.html'), mimeType: 'text/html', metadata: { kind: 'page' } },
      { collection: 'mixed', text: fixture('notes.txt'), metadata: { kind: 'notes' } },
      {
        collection: 'mixed', title: 'Lighthouse keeping manual', metadata: { kind: 'pdf' },
        contentBase64: Buffer.from(makePdf(['Lighthouse keepers trim the lamp wick every evening', 'and polish the Fresnel lens at dawn.'])).toString('base64'),
      },
    ];
    const jobs = [];
    for (const input of inputs) {
      const { ingestDocument } = await gqlData(system.url, INGEST, { input });
      assert.equal(ingestDocument.status, 'QUEUED');
      assert.equal(ingestDocument.priority, 'NORMAL');
      jobs.push(ingestDocument);
    }
    const finished = await Promise.all(jobs.map((job) => waitForJob(system.url, job.id)));
    for (const job of finished) {
      assert.equal(job.status, 'SUCCEEDED', `job ${job.id}: ${job.error}`);
      assert.equal(job.progress, 1);
      assert.ok(job.chunkCount > 0);
      assert.ok(job.finishedAt);
    }

    const queries = [
      { q: 'feeding the sourdough starter flour and water', doc: finished[0] },
      { q: 'bonsai watering and pruning', doc: finished[1] },
      { q: 'waders roosting at high tide on the estuary', doc: finished[2] },
      { q: 'lighthouse lamp wick Fresnel lens', doc: finished[3] },
    ];
    for (const { q, doc } of queries) {
      const { search } = await gqlData(system.url, SEARCH, { c: 'mixed', q, k: 3 });
      assert.ok(search.length > 0, `no hits for "${q}"`);
      assert.equal(search[0].documentId, doc.documentId, `"${q}" should find ${doc.documentId} first, got ${JSON.stringify(search[0])}`);
      assert.ok(search[0].score > 0 && search[0].score <= 1.0001);
      for (let i = 1; i < search.length; i++) assert.ok(search[i - 1].score >= search[i].score, 'hits sorted by score');
    }
  });

  it('when a document is indexed, should expose it through document(collection, id) with its chunk count and metadata', async () => {
    const { ingestDocument } = await gqlData(system.url, INGEST, {
      input: { collection: 'docs', text: '# Tides\n\nSpring tides follow the new and full moon.', mimeType: 'text/markdown', title: 'Tides', metadata: { lang: 'en' } },
    });
    const job = await waitForJob(system.url, ingestDocument.id);
    const { document } = await gqlData(system.url,
      'query($c: String!, $id: ID!) { document(collection: $c, id: $id) { id collection title mimeType status chunkCount metadata createdAt updatedAt } }',
      { c: 'docs', id: job.documentId });
    assert.equal(document.collection, 'docs');
    assert.equal(document.title, 'Tides');
    assert.equal(document.mimeType, 'text/markdown');
    assert.equal(document.chunkCount, job.chunkCount);
    assert.deepEqual(document.metadata, { lang: 'en' });
  });

  it('when Markdown opens with front matter, should title the document by it and filter by its fields, the client\u2019s winning', async () => {
    const text = '---\ntitle: Tide tables\nregion: north\nlang: fr\n---\n\nNeap tides come at the quarter moons.\n';
    const { ingestDocument } = await gqlData(system.url, INGEST, {
      input: { collection: 'front-matter', text, mimeType: 'text/markdown', metadata: { lang: 'en' } },
    });
    const job = await waitForJob(system.url, ingestDocument.id);
    assert.equal(job.status, 'SUCCEEDED');
    const { document } = await gqlData(system.url,
      'query($c: String!, $id: ID!) { document(collection: $c, id: $id) { title metadata } }', { c: 'front-matter', id: job.documentId });
    assert.deepEqual(document, { title: 'Tide tables', metadata: { title: 'Tide tables', region: 'north', lang: 'en' } });
    const hits = (f: unknown) => gqlData(system.url, `query($f: JSON) {
      search(collection: "front-matter", query: "neap tides quarter moons", k: 5, filter: $f) { title heading text } }`, { f });
    assert.deepEqual((await hits({ region: 'north' })).search, [{ title: 'Tide tables', heading: null, text: 'Neap tides come at the quarter moons.' }]);
    assert.deepEqual((await hits({ lang: 'fr' })).search, []);
  });


  it('when an HTML table runs past a chunk, should find a late row in a chunk that starts with the table\u2019s header', async () => {
    const rows = Array.from({ length: 60 }, (_, i) => `<tr><td>Harbour ${i}</td><td>${(i * 0.37).toFixed(2)} m</td><td>${i % 2 ? 'spring' : 'neap'}</td></tr>`);
    rows[47] = '<tr><td>Kittiwake Cove</td><td>4.81 m</td><td>spring</td></tr>';
    const html = `<h1>Tide heights</h1><p>Heights at high water.</p><table><tr><th>Port</th><th>Height</th><th>Tide</th></tr>${rows.join('')}</table>`;
    const { ingestDocument } = await gqlData(system.url, INGEST, { input: { collection: 'tables', text: html, mimeType: 'text/html' } });
    const job = await waitForJob(system.url, ingestDocument.id);
    assert.equal(job.status, 'SUCCEEDED', job.error);
    assert.ok(job.chunkCount > 2, `${job.chunkCount} chunks`);
    const { search } = await gqlData(system.url, 'query { search(collection: "tables", query: "Kittiwake Cove", k: 1) { heading text } }');
    assert.equal(search[0]?.heading, 'Tide heights');
    assert.match(search[0]?.text ?? '', /^Port \| Height \| Tide\n--- \| --- \| ---\nHarbour \d+ \|[^]*\nKittiwake Cove \| 4\.81 m \| spring\n/);
  });
  it('when searching with a metadata filter, should return only chunks whose metadata match', async () => {
    const ids = [];
    for (const lang of ['en', 'fr']) {
      const { ingestDocument } = await gqlData(system.url, INGEST, {
        input: { collection: 'filtered', text: `Harbour seals haul out on sandbanks (${lang}).`, metadata: { lang } },
      });
      ids.push((await waitForJob(system.url, ingestDocument.id)).documentId);
    }
    const { search } = await gqlData(system.url, SEARCH, { c: 'filtered', q: 'harbour seals sandbanks', k: 5, f: { lang: 'fr' } });
    assert.equal(search.length, 1);
    assert.equal(search[0].documentId, ids[1]);
    assert.deepEqual(search[0].metadata, { lang: 'fr' });
  });

  it('when listing jobs, should page newest first with a cursor', async () => {
    const first = await gqlData(system.url, 'query { jobs(collection: "mixed", first: 2) { edges { cursor node { id createdAt } } pageInfo { hasNextPage endCursor } } }');
    assert.equal(first.jobs.edges.length, 2);
    assert.equal(first.jobs.pageInfo.hasNextPage, true);
    const second = await gqlData(system.url, 'query($after: String) { jobs(collection: "mixed", first: 10, after: $after) { edges { node { id } } pageInfo { hasNextPage } } }',
      { after: first.jobs.pageInfo.endCursor });
    assert.equal(second.jobs.edges.length, 2);
    assert.equal(second.jobs.pageInfo.hasNextPage, false);
    const all = [...first.jobs.edges, ...second.jobs.edges].map((edge: any) => edge.node.id);
    assert.equal(new Set(all).size, 4);
    const succeeded = await gqlData(system.url, 'query { jobs(status: SUCCEEDED, first: 100) { edges { node { status } } } }');
    assert.ok(succeeded.jobs.edges.every((edge: any) => edge.node.status === 'SUCCEEDED'));
  });

  it('when an unknown collection is searched, should return no hits rather than an error', async () => {
    const result = await gql(system.url, SEARCH, { c: 'nothing-here', q: 'anything' });
    assert.equal(result.errors, undefined);
    assert.deepEqual(result.data.search, []);
  });
});
