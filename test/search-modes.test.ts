import assert from 'node:assert/strict';
import { gql, gqlData, waitForJob } from './support/graphql-client.ts';
import { startTestSystem, type TestSystem } from './support/test-system.ts';

const INGEST = 'mutation($input: IngestInput!) { ingestDocument(input: $input) { id documentId } }';
const SEARCH = `query($q: String!, $mode: SearchMode) {
  search(collection: "modes-api", query: $q, k: 5, mode: $mode) { documentId score signals { signal rank score } } }`;

describe('search modes through the API', function () {
  this.timeout(60_000);
  let system: TestSystem;
  const documents: Record<string, string> = {};

  before(async () => {
    system = await startTestSystem();
    const pages = {
      getpass: 'The getpass module prompts the user for a password without echoing it to the terminal.',
      shutil: 'High-level file operations: copy trees, move directories, remove files.',
    };
    for (const [name, text] of Object.entries(pages)) {
      const job = (await gqlData(system.url, INGEST, { input: { collection: 'modes-api', text } })).ingestDocument;
      await waitForJob(system.url, job.id);
      documents[job.documentId] = name;
    }
  });
  after(async () => { await system?.stop(); });

  it('when no mode is given, should search HYBRID and say which signals found each hit and its rank in each', async () => {
    const { search } = await gqlData(system.url, SEARCH, { q: 'read a password without echo' });
    assert.equal(documents[search[0].documentId], 'getpass');
    assert.deepEqual(search[0].signals.map((s: { signal: string; rank: number }) => [s.signal, s.rank]), [['VECTOR', 1], ['LEXICAL', 1]]);
    // shutil shares no word with the query: only the vector ranking lists it.
    assert.deepEqual(search[1].signals.map((s: { signal: string }) => s.signal), ['VECTOR']);
  });

  it('when mode LEXICAL or VECTOR is given, should rank by that signal alone', async () => {
    const lexical = (await gqlData(system.url, SEARCH, { q: 'echo', mode: 'LEXICAL' })).search;
    assert.deepEqual(lexical.map((hit: { documentId: string }) => documents[hit.documentId]), ['getpass']);
    assert.equal(lexical[0].signals[0].signal, 'LEXICAL');
    const vector = (await gqlData(system.url, SEARCH, { q: 'echo', mode: 'VECTOR' })).search;
    assert.ok(vector.every((hit: { signals: { signal: string }[] }) => hit.signals.length === 1 && hit.signals[0]!.signal === 'VECTOR'));
  });

  it('when the mode is not one of HYBRID, VECTOR, LEXICAL, should refuse naming the argument', async () => {
    const result = await gql(system.url, SEARCH, { q: 'echo', mode: 'FUZZY' });
    assert.match(result.errors?.[0]?.message ?? '', /\$mode.*SearchMode/s);
  });
});
