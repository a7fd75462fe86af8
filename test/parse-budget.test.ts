import assert from 'node:assert/strict';
import { HOSTILE_DOCUMENTS } from './fixtures/hostile-documents.ts';
import { JOB_FIELDS, gqlData, waitForJob } from './support/graphql-client.ts';
import { startTestSystem, type TestSystem } from './support/test-system.ts';

const INGEST = `mutation($input: IngestInput!) { ingestDocument(input: $input) { ${JOB_FIELDS} } }`;
const TIMEOUT_MS = 3000;
const MAX_MEMORY_MB = 256;
const MB = 1024 * 1024;
/** The gateway's default MAX_DOCUMENT_BYTES: the largest document anyone can send. */
const LIMIT_BYTES = 10 * MB - 16; // base64 padding counts toward the check
/** A parse ends within its budget plus the time to notice and report it. */
const SLACK_MS = 4000;

describe('the parse budget', function () {
  this.timeout(120_000);
  let system: TestSystem;

  /** Built before the system starts: building a PDF bomb takes seconds, long enough to idle out a keep-alive connection. */
  const built = new Map<string, string[]>();

  before(async () => {
    for (const hostile of HOSTILE_DOCUMENTS) {
      built.set(hostile.name, [MB, LIMIT_BYTES].map((bytes) => Buffer.from(hostile.build(bytes)).toString('base64')));
    }
    // Two hostile documents and a small one at once; the spare workers cover the replacements
    // of those killed in the round before, which take a second or two to start.
    system = await startTestSystem({ config: { parseTimeoutMs: TIMEOUT_MS, parseMaxMemoryMb: MAX_MEMORY_MB, parseWorkers: 6 } });
  });
  after(async () => { await system?.stop(); });

  const ingest = async (input: Record<string, unknown>) => (await gqlData(system.url, INGEST, { input })).ingestDocument;

  for (const hostile of HOSTILE_DOCUMENTS) {
    it(`when ${hostile.name} arrives at 1 MB and at the 10 MB limit, should end each within its budget without retry while a small job of another collection succeeds in under 5 s`, async () => {
      const jobs = await Promise.all(built.get(hostile.name)!.map((contentBase64) =>
        ingest({ collection: 'hostile', mimeType: hostile.mimeType, contentBase64 })));
      const smallSubmitted = Date.now();
      const small = await ingest({ collection: 'bystander', text: '# Herons\n\nHerons stand still in the shallows.', mimeType: 'text/markdown' });
      const smallDone = await waitForJob(system.url, small.id, 10_000);
      assert.equal(smallDone.status, 'SUCCEEDED', smallDone.error);
      const smallMs = Date.now() - smallSubmitted;
      assert.ok(smallMs < 5000, `the small job took ${smallMs} ms`);

      for (const job of jobs) {
        const done = await waitForJob(system.url, job.id, TIMEOUT_MS + 30_000);
        const elapsed = Date.parse(done.finishedAt ?? done.updatedAt) - Date.parse(done.createdAt);
        assert.equal(done.attempts, 1, 'not retried');
        assert.ok(elapsed < TIMEOUT_MS + SLACK_MS + 10_000, `ended ${elapsed} ms after it was accepted`);
        if (done.status === 'SUCCEEDED') {
          // The Markdown guard made this shape linear: it parsed within the budget.
          assert.notEqual(hostile.mimeType, 'application/pdf', 'a PDF bomb must not get through');
          continue;
        }
        assert.equal(done.status, 'FAILED', `${hostile.name}: ${done.status} ${done.error}`);
        assert.equal(done.stage, 'PARSE');
        assert.match(done.error, new RegExp(
          `took longer than PARSE_TIMEOUT_MS \\(${TIMEOUT_MS} ms\\)|needed more than PARSE_MAX_MEMORY_MB \\(${MAX_MEMORY_MB} MB\\)`));
      }
    });
  }

  it('when a document nests deeper than the parser\'s stack, should fail it permanently without retry', async () => {
    // The HTML and Markdown parsers bound their nesting; a JSON document nested 50,000 deep still
    // overflows the stack (V8's JSON.parse recurses).
    const job = await ingest({ collection: 'hostile', text: '['.repeat(50_000) + ']'.repeat(50_000), mimeType: 'application/json' });
    const done = await waitForJob(system.url, job.id, 30_000);
    assert.equal(done.status, 'FAILED');
    assert.equal(done.attempts, 1);
    assert.match(done.error, /nested too deeply/);
  });
});
