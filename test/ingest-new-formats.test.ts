import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { JOB_FIELDS, gql, gqlData, waitForJob } from './support/graphql-client.ts';
import { startTestSystem, type TestSystem } from './support/test-system.ts';

/** Files made outside this project (see services/parse/parse-formats.spec.ts). */
const fixture = (name: string) => readFileSync(new URL(`./fixtures/formats/${name}`, import.meta.url)).toString('base64');

const INGEST = `mutation($input: IngestInput!) { ingestDocument(input: $input) { ${JOB_FIELDS} } }`;
const SEARCH = 'query($c: String!, $q: String!) { search(collection: $c, query: $q, k: 3) { documentId text } }';
const DOCUMENT = 'query($id: ID!) { document(id: $id) { mimeType } }';

const CASES = [
  { file: 'zstd-readme.docx', mimeType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', phrase: 'zstd --train FullPathToTrainingSet' },
  { file: 'zstd-readme.odt', mimeType: 'application/vnd.oasis.opendocument.text', phrase: 'zstd --train FullPathToTrainingSet' },
  { file: 'zstd-readme.pptx', mimeType: 'application/vnd.openxmlformats-officedocument.presentationml.presentation', phrase: 'quick local smoke tests' },
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
    const jobs = await Promise.all(CASES.map(async ({ file }, i) =>
      (await gqlData(system.url, INGEST, { input: { collection: `formats-${i}`, contentBase64: fixture(file) } })).ingestDocument));
    for (const [i, { file, mimeType, phrase }] of CASES.entries()) {
      const job = await waitForJob(system.url, jobs[i].id);
      assert.equal(job.status, 'SUCCEEDED', `${file}: ${job.error}`);
      const { document } = await gqlData(system.url, DOCUMENT, { id: job.documentId });
      assert.equal(document.mimeType, mimeType, file);
      const { search } = await gqlData(system.url, SEARCH, { c: `formats-${i}`, q: phrase });
      assert.equal(search[0]?.documentId, job.documentId, file);
      assert.ok(search.some((hit: { text: string }) => hit.text.includes(phrase)), `${file}: "${phrase}" in a chunk`);
    }
  });

  it('when a type is not supported, should refuse it naming the supported ones', async () => {
    const result = await gql(system.url, INGEST, { input: { collection: 'formats', text: 'x', mimeType: 'image/png' } });
    assert.equal(result.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
    assert.match(result.errors?.[0]?.message ?? '', /"image\/png" is not supported; supported: .*text\/csv.*application\/epub\+zip/);
  });
});
