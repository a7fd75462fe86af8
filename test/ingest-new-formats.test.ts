import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { JOB_FIELDS, gql, gqlData, waitForJob } from './support/graphql-client.ts';
import { startTestSystem, type TestSystem } from './support/test-system.ts';

/** Files made outside this project (see services/parse/parse-formats.spec.ts). */
const fixture = (name: string) => readFileSync(new URL(`./fixtures/formats/${name}`, import.meta.url)).toString('base64');

const INGEST = `mutation($input: IngestInput!) { ingestDocument(input: $input) { ${JOB_FIELDS} } }`;
const SEARCH = 'query($c: String!, $q: String!) { search(collection: $c, query: $q, k: 3) { documentId text } }';
const DOCUMENT = 'query($collection: String!, $id: ID!) { document(collection: $collection, id: $id) { mimeType } }';

const CASES = [
  { file: 'zstd-readme.docx', mimeType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', phrase: 'zstd --train FullPathToTrainingSet' },
  { file: 'zstd-readme.odt', mimeType: 'application/vnd.oasis.opendocument.text', phrase: 'zstd --train FullPathToTrainingSet' },
  { file: 'zstd-readme.pptx', mimeType: 'application/vnd.openxmlformats-officedocument.presentationml.presentation', phrase: 'quick local smoke tests' },
  { file: 'xlsx2csv-sheets.xlsx', mimeType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', phrase: 'Полный код (номер) сценария' },
  { file: 'zstd-readme.epub', mimeType: 'application/epub+zip', phrase: 'zstd --train FullPathToTrainingSet' },
  { file: 'debian-releases.csv', mimeType: 'text/csv', phrase: 'Squeeze' },
  { file: 'iso3166.tsv', mimeType: 'text/tab-separated-values', phrase: 'Greenland' },
  { file: 'node-synopsis.json', mimeType: 'application/json', phrase: 'Usage and example' },
  { file: 'colorsys.py', mimeType: 'text/plain', phrase: 'rgb_to_yiq' },
];

describe('ingesting office, slide, e-book, table, data and code files', function () {
  this.timeout(60_000);
  let system: TestSystem;

  before(async () => { system = await startTestSystem(); });
  after(async () => { await system?.stop(); });

  it('when each arrives as bare bytes (no type, no name), should detect its type, index it and find it by a phrase it holds', async () => {
    // One after another: twelve at once would be more than MAX_RUNNING_MUTATIONS (8), and on a busy
    // machine the gateway may refuse the ones whose turn does not come within MAX_MUTATION_WAIT_MS.
    const jobs = [];
    for (const [i, { file }] of CASES.entries()) {
      jobs.push((await gqlData(system.url, INGEST, { input: { collection: `formats-${i}`, contentBase64: fixture(file) } })).ingestDocument);
    }
    for (const [i, { file, mimeType, phrase }] of CASES.entries()) {
      const job = await waitForJob(system.url, jobs[i].id);
      assert.equal(job.status, 'SUCCEEDED', `${file}: ${job.error}`);
      const { document } = await gqlData(system.url, DOCUMENT, { collection: `formats-${i}`, id: job.documentId });
      assert.equal(document.mimeType, mimeType, file);
      const { search } = await gqlData(system.url, SEARCH, { c: `formats-${i}`, q: phrase });
      assert.equal(search[0]?.documentId, job.documentId, file);
      assert.ok(search.some((hit: { text: string }) => hit.text.includes(phrase)), `${file}: "${phrase}" in a chunk`);
    }
  });

  it('when a URL serves a supported type, should pass its Content-Type through; when a generic one, should detect the type from the content', async () => {
    const served: Record<string, { type: string; file: string }> = {
      '/releases': { type: 'text/csv; charset=utf-8', file: 'debian-releases.csv' },
      '/slides': { type: 'application/zip', file: 'zstd-readme.pptx' },
    };
    const server = createServer((request, response) => {
      const entry = served[request.url ?? ''];
      if (!entry) return void response.writeHead(404).end();
      response.writeHead(200, { 'content-type': entry.type }).end(Buffer.from(fixture(entry.file), 'base64'));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const expected = { '/releases': 'text/csv', '/slides': 'application/vnd.openxmlformats-officedocument.presentationml.presentation' };
      for (const [path, mimeType] of Object.entries(expected)) {
        const { ingestDocument } = await gqlData(system.url, INGEST, { input: { collection: 'formats-url', url: `${base}${path}` } });
        const job = await waitForJob(system.url, ingestDocument.id);
        assert.equal(job.status, 'SUCCEEDED', `${path}: ${job.error}`);
        assert.equal((await gqlData(system.url, DOCUMENT, { collection: 'formats-url', id: job.documentId })).document.mimeType, mimeType, path);
      }
    } finally {
      server.close();
    }
  });

  it('when a type is not supported, should refuse it naming the supported ones', async () => {
    const result = await gql(system.url, INGEST, { input: { collection: 'formats', text: 'x', mimeType: 'image/png' } });
    assert.equal(result.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
    assert.match(result.errors?.[0]?.message ?? '', /"image\/png" is not supported; supported: .*text\/csv.*application\/epub\+zip/);
  });
});
