import assert from 'node:assert/strict';
import { eventually } from './support/contract-vectors.ts';
import { gql, wsClient, type GraphQLResponse } from './support/graphql-client.ts';
import { queueDepths, startTestSystem, type TestSystem } from './support/test-system.ts';

const INGEST = 'mutation($input: IngestInput!) { ingestDocument(input: $input) { id } }';

describe('bad input', function () {
  this.timeout(60_000);
  let system: TestSystem;

  // No actors: anything published would stay in a queue and show in its depth.
  before(async () => { system = await startTestSystem({ actors: false, config: { maxDocumentBytes: 1000 } }); });
  after(async () => { await system?.stop(); });

  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['no source', { collection: 'ok' }, /input: give exactly one of text, url or contentBase64 \(got none\)/],
    ['two sources', { collection: 'ok', text: 'a', url: 'https://example.com/' }, /input: give exactly one .*\(got text and url\)/],
    ['a collection name outside [a-z0-9_-]{1,64}', { collection: 'Bad Name!', text: 'a' }, /input\.collection: must match \[a-z0-9_-\]\{1,64\}/],
    ['a collection name too long', { collection: 'a'.repeat(65), text: 'a' }, /input\.collection/],
    ['a document over the size limit', { collection: 'ok', text: 'x'.repeat(1001) }, /input\.text: .*1001 bytes; the limit is 1000 bytes/],
    ['base64 over the size limit', { collection: 'ok', contentBase64: Buffer.alloc(1200, 65).toString('base64'), mimeType: 'text/plain' }, /input\.contentBase64: .*limit is 1000 bytes/],
    ['invalid base64', { collection: 'ok', contentBase64: 'not base64!!', mimeType: 'application/pdf' }, /input\.contentBase64: is not valid base64/],
    ['an unsupported media type', { collection: 'ok', text: 'a', mimeType: 'image/png' }, /input\.mimeType: "image\/png" is not supported/],
    ['a URL with another scheme', { collection: 'ok', url: 'file:///etc/passwd' }, /input\.url: scheme file: is not allowed/],
    ['metadata that is not an object', { collection: 'ok', text: 'a', metadata: [1, 2] }, /input\.metadata: must be a JSON object/],
  ];

  for (const [name, input, message] of cases) {
    it(`when the input has ${name}, should answer BAD_USER_INPUT naming the field and publish nothing`, async () => {
      const before = await queueDepths(system.names);
      const jobsBefore = (await system.store.listJobs({ first: 100 })).jobs.length;
      const result = await gql(system.url, INGEST, { input });
      assert.equal(result.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT', JSON.stringify(result.errors));
      assert.match(result.errors![0]!.message, message);
      assert.deepEqual(await queueDepths(system.names), before);
      assert.equal((await system.store.listJobs({ first: 100 })).jobs.length, jobsBefore, 'no job recorded');
    });
  }

  it('when one input of a batch is bad, should accept none of them', async () => {
    const before = await queueDepths(system.names);
    const result = await gql(system.url, 'mutation($inputs: [IngestInput!]!) { ingestDocuments(inputs: $inputs) { id } }', {
      inputs: [{ collection: 'ok', text: 'fine' }, { collection: 'ok' }],
    });
    assert.equal(result.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
    assert.match(result.errors![0]!.message, /^inputs\.1:/);
    assert.deepEqual(await queueDepths(system.names), before);
  });

  for (const k of [0, 101]) {
    it(`when search asks for k = ${k}, should answer BAD_USER_INPUT naming k and its range`, async () => {
      const result = await gql(system.url, 'query($k: Int) { search(collection: "ok", query: "anything", k: $k) { chunkId } }', { k });
      assert.equal(result.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
      assert.match(result.errors![0]!.message, /^k: must be an integer in 1\.\.100/);
    });
  }

  const SEARCH = 'query($f: JSON) { search(collection: "ok", query: "anything", filter: $f) { chunkId } }';
  const filters: [string, Record<string, unknown>, RegExp][] = [
    ['an empty segment (a..b)', { 'a..b': 'x' }, /^filter\.a\.\.b: field names are letters, digits/],
    ['a trailing dot', { 'lang.': 'x' }, /^filter\.lang\.: field names/],
    ['a character outside the rule', { 'a$b': 1 }, /^filter\.a\$b: field names/],
    ['a key over 64 characters', { ['k'.repeat(65)]: 1 }, /at most 64 characters/],
    ['more than 20 fields', Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`f${i}`, i])), /^filter: at most 20 fields, got 21/],
    ['an object value', { lang: { $ne: 'en' } }, /^filter\.lang: must be a string, number, boolean or null/],
  ];
  for (const [name, filter, message] of filters) {
    it(`when a search filter has ${name}, should answer BAD_USER_INPUT naming the key`, async () => {
      const result = await gql(system.url, SEARCH, { f: filter });
      assert.equal(result.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT', JSON.stringify(result.errors));
      assert.match(result.errors![0]!.message, message);
    });
  }

  for (const after of ['not-a-cursor', Buffer.from('[1,2,3]').toString('base64url')]) {
    it(`when jobs is paged after a cursor it never issued (${after}), should answer BAD_USER_INPUT naming after`, async () => {
      const result = await gql(system.url, 'query($after: String) { jobs(first: 2, after: $after) { edges { cursor } } }', { after });
      assert.equal(result.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT', JSON.stringify(result.errors));
      assert.equal(result.errors![0]!.extensions?.field, 'after');
      assert.match(result.errors![0]!.message, /^after: not a cursor returned by a previous page/);
    });
  }

  describe('documents: a page of a collection\'s documents, over HTTP and WebSocket alike', () => {
    const DOCUMENTS = 'query($first: Int, $after: String, $prefix: String) { documents(collection: "ok", first: $first, after: $after, idPrefix: $prefix) { edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }';
    const jobCursor = Buffer.from(JSON.stringify([Date.now(), 'job-id'])).toString('base64url');
    const refusals: [string, Record<string, unknown>, string, RegExp][] = [
      ['first = 0', { first: 0 }, 'first', /^first: must be in 1\.\.100, got 0/],
      ['first = 101', { first: 101 }, 'first', /^first: must be in 1\.\.100, got 101/],
      ['a cursor it never issued', { after: 'not-a-cursor' }, 'after', /^after: not a cursor returned by a previous page/],
      ['a job list\'s cursor', { after: jobCursor }, 'after', /^after: not a cursor/],
      ['an id prefix of 257 characters', { prefix: 'p'.repeat(257) }, 'idPrefix', /^idPrefix: at most 256 characters, got 257/],
    ];
    /** The first result of a query over graphql-ws. */
    const overWebSocket = async (query: string, variables: Record<string, unknown>): Promise<GraphQLResponse> => {
      const client = wsClient(system.url);
      try {
        return await new Promise((resolve, reject) => {
          client.subscribe({ query, variables }, { next: (value) => resolve(value as GraphQLResponse), error: reject, complete: () => {} });
        });
      } finally {
        await client.dispose();
      }
    };
    for (const [name, variables, field, message] of refusals) {
      it(`when asked with ${name}, should answer BAD_USER_INPUT naming ${field}`, async () => {
        for (const result of [await gql(system.url, DOCUMENTS, variables), await overWebSocket(DOCUMENTS, variables)]) {
          assert.equal(result.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT', JSON.stringify(result));
          assert.match(result.errors![0]!.message, message);
        }
      });
    }

    it('when paged with the cursors it issued, should give every document once, and within a prefix only its ids', async () => {
      const ids = ['file:/d/a.md', 'file:/d/b.md', 'file:/d/c.md', 'file:/e/a.md'];
      for (const id of ids) {
        const job = await system.store.createJob({ id: `job-${id}`, collection: 'ok', documentId: id, priority: 'NORMAL' });
        const document = { id, collection: 'ok', title: null, mimeType: 'text/plain', sourceUrl: null, metadata: {}, contentHash: 'h' };
        const vector = new Float32Array(system.config.hashingDimension).fill(0.1);
        await system.store.indexDocument({ jobId: job.id, document, embedder: { name: 'test', dimension: vector.length }, chunks: [{ id: `${id}#0`, ordinal: 0, text: id, heading: null, vector }] });
      }
      const seen: string[] = [];
      let after: string | null = null;
      do {
        const result: GraphQLResponse = await gql(system.url, DOCUMENTS, { first: 3, prefix: 'file:/d/', after });
        assert.equal(result.errors, undefined, JSON.stringify(result.errors));
        seen.push(...result.data.documents.edges.map((edge: { node: { id: string } }) => edge.node.id));
        after = result.data.documents.pageInfo.hasNextPage ? result.data.documents.pageInfo.endCursor : null;
      } while (after !== null);
      assert.deepEqual(seen, ['file:/d/a.md', 'file:/d/b.md', 'file:/d/c.md']);
    });
  });

  it('when an unknown job is cancelled, should answer NOT_FOUND', async () => {
    const result = await gql(system.url, 'mutation { cancelJob(id: "nope") { id } }');
    assert.equal(result.errors?.[0]?.extensions?.code, 'NOT_FOUND');
  });

  it('when an unknown job is read, should answer null', async () => {
    const result = await gql(system.url, 'query { job(id: "nope") { id } }');
    assert.equal(result.errors, undefined);
    assert.equal(result.data.job, null);
  });

  // Inline content goes straight to the parse stage (the gateway has its bytes); a URL to fetch.
  const valid: [string, Record<string, unknown>, 'FETCH' | 'PARSE'][] = [
    ['inline text', { collection: 'ok', text: 'A valid little document.' }, 'PARSE'],
    ['a URL', { collection: 'ok', url: 'https://example.com/valid.txt' }, 'FETCH'],
  ];
  for (const [name, input, stage] of valid) {
    it(`when a valid input with ${name} arrives, should publish exactly one message, to the ${stage.toLowerCase()} queue`, async () => {
      const before = await queueDepths(system.names);
      const result = await gql(system.url, INGEST, { input });
      assert.equal(result.errors, undefined);
      const expected = { ...before, [system.names.stageQueue(stage)]: before[system.names.stageQueue(stage)]! + 1 };
      // The outbox relay publishes just after the mutation answers.
      await eventually(async () => assert.deepEqual(await queueDepths(system.names), expected));
    });
  }
});
