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

  it('when a page has sections, should answer each hit with its section\u2019s heading path, permalink marks left out', async () => {
    const html = `<html><head><title>Lamps</title></head><body>
      <h1>Lighthouse manual<a class="headerlink" href="#manual">\u00b6</a></h1><p>Read this before your first night.</p>
      <h2>Daily care <a href="#care">#</a></h2><p>Trim the lamp wick every evening and polish the Fresnel lens at dawn.</p></body></html>`;
    const job = (await gqlData(system.url, INGEST, { input: { collection: 'headings-api', text: html, mimeType: 'text/html' } })).ingestDocument;
    await waitForJob(system.url, job.id);
    for (const mode of ['HYBRID', 'VECTOR', 'LEXICAL']) {
      const { search } = await gqlData(system.url, `query($mode: SearchMode) {
        search(collection: "headings-api", query: "trim the wick", k: 1, mode: $mode) { title heading text } }`, { mode });
      assert.deepEqual(search, [{ title: 'Lamps', heading: 'Lighthouse manual > Daily care', text: 'Trim the lamp wick every evening and polish the Fresnel lens at dawn.' }], mode);
    }
  });

  it('when mode LEXICAL or VECTOR is given, should rank by that signal alone', async () => {
    const lexical = (await gqlData(system.url, SEARCH, { q: 'echo', mode: 'LEXICAL' })).search;
    assert.deepEqual(lexical.map((hit: { documentId: string }) => documents[hit.documentId]), ['getpass']);
    assert.equal(lexical[0].signals[0].signal, 'LEXICAL');
    const vector = (await gqlData(system.url, SEARCH, { q: 'echo', mode: 'VECTOR' })).search;
    assert.ok(vector.every((hit: { signals: { signal: string }[] }) => hit.signals.length === 1 && hit.signals[0]!.signal === 'VECTOR'));
  });

  it('when the query holds no word (its embedding has no direction), should answer with no hits in every mode, over HTTP', async () => {
    for (const mode of ['VECTOR', 'HYBRID', 'LEXICAL']) {
      const response = await gql(system.url, SEARCH, { q: '`-`', mode });
      assert.equal(response.errors, undefined, mode);
      assert.deepEqual(response.data.search, [], mode);
    }
  });

  it('when lexicalWeight is given, should fuse each ranking\'s scaled scores with that weight and the vector ranking with the rest', async () => {
    const texts = [
      'The getpass module prompts the user for a password without echoing it to the terminal.',
      'Choose a strong password.',
      'High-level file operations: copy trees, move directories, remove files.',
    ];
    for (const text of texts) await waitForJob(system.url, (await gqlData(system.url, INGEST, { input: { collection: 'weights-api', text } })).ingestDocument.id);
    const WEIGHTED = `query($w: Float) { search(collection: "weights-api", query: "password without echo", k: 5, lexicalWeight: $w) {
      chunkId score signals { signal score } } }`;
    for (const weight of [0, 0.5, 1]) {
      const hits: { chunkId: string; score: number; signals: { signal: string; score: number }[] }[] = (await gqlData(system.url, WEIGHTED, { w: weight })).search;
      assert.equal(hits.length, 3);
      // Every chunk of the collection is in the answer, so each ranking's scores are all here.
      const scaled = (signal: string) => {
        const scores = hits.flatMap((hit) => hit.signals.filter((s) => s.signal === signal).map((s) => s.score));
        const [min, max] = [Math.min(...scores), Math.max(...scores)];
        return (score: number) => (max === min ? 1 : (score - min) / (max - min));
      };
      const [lexical, vector] = [scaled('LEXICAL'), scaled('VECTOR')];
      for (const hit of hits) {
        const expected = hit.signals.reduce((sum, s) => sum + (s.signal === 'LEXICAL' ? weight * lexical(s.score) : (1 - weight) * vector(s.score)), 0);
        assert.ok(Math.abs(hit.score - expected) < 1e-9, `weight ${weight}: ${JSON.stringify(hit)} should score ${expected}`);
      }
    }
  });

  it('when lexicalWeight is outside 0..1 or given with another mode, should refuse naming it', async () => {
    const query = 'query($w: Float, $mode: SearchMode) { search(collection: "modes-api", query: "echo", lexicalWeight: $w, mode: $mode) { chunkId } }';
    for (const [variables, message] of [
      [{ w: 1.5 }, /lexicalWeight.*from 0 to 1, got 1\.5/],
      [{ w: -0.1 }, /lexicalWeight.*from 0 to 1/],
      [{ w: 0.5, mode: 'VECTOR' }, /lexicalWeight.*HYBRID only/],
    ] as const) {
      const result = await gql(system.url, query, variables);
      assert.equal(result.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT', JSON.stringify(result));
      assert.match(result.errors?.[0]?.message ?? '', message);
    }
  });

  it('when the mode is not one of HYBRID, VECTOR, LEXICAL, should refuse naming the argument', async () => {
    const result = await gql(system.url, SEARCH, { q: 'echo', mode: 'FUZZY' });
    assert.match(result.errors?.[0]?.message ?? '', /\$mode.*SearchMode/s);
  });
});
