import assert from 'node:assert/strict';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { generateApiKey, hashApiKey, type Role } from '../gateway/auth/api-keys.ts';
import { gql, waitForJob } from './support/graphql-client.ts';
import { queueDepths, startTestSystem, type TestSystem } from './support/test-system.ts';

/** A key of the test system: its secret and how it is configured. */
interface TestKey { readonly secret: string; readonly collections: '*' | string[]; readonly roles: Role[] }

const KEYS = {
  admin: { secret: generateApiKey(), collections: ['elsewhere'], roles: ['admin'] },
  alphaIngest: { secret: generateApiKey(), collections: ['alpha'], roles: ['ingest'] },
  alphaSearch: { secret: generateApiKey(), collections: ['alpha'], roles: ['search'] },
  beta: { secret: generateApiKey(), collections: ['beta'], roles: ['ingest', 'search'] },
} satisfies Record<string, TestKey>;
type KeyName = keyof typeof KEYS;

const API_KEYS = JSON.stringify(Object.entries(KEYS).map(([name, key]) => ({ name, hash: hashApiKey(key.secret), collections: key.collections, roles: key.roles })));
const bearer = (key: KeyName | 'none' | 'unknown'): Record<string, string> =>
  key === 'none' ? {} : { authorization: `Bearer ${key === 'unknown' ? generateApiKey() : KEYS[key].secret}` };

const INGEST = 'mutation($input: IngestInput!) { ingestDocument(input: $input) { id collection } }';

/** Raw HTTP POST keeping the status. */
async function post(url: string, body: string, headers: Record<string, string> = {}): Promise<{ status: number; json: any }> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  return { status: response.status, json: await response.json() };
}

function codes(result: { errors?: readonly { extensions?: Record<string, any> }[] }): string[] {
  return (result.errors ?? []).map((error) => String(error.extensions?.code));
}

/** A graphql-ws client that records how its socket closed. */
function socketClient(url: string, params: Record<string, unknown>): { client: Client; closed: Promise<number> } {
  let resolveClosed!: (code: number) => void;
  const closed = new Promise<number>((resolve) => { resolveClosed = resolve; });
  const client = createClient({
    url: url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, connectionParams: params, lazy: true, retryAttempts: 0,
    on: { closed: (event) => resolveClosed((event as { code: number }).code) },
  });
  return { client, closed };
}

/** First result of a subscription: its data or its errors. */
function firstResult(client: Client, query: string, variables: Record<string, unknown> = {}): Promise<{ data?: any; errors?: any[]; closeCode?: number }> {
  return new Promise((resolve) => {
    const dispose = client.subscribe({ query, variables }, {
      next: (value) => { dispose(); resolve(value as any); },
      error: (error) => resolve({ closeCode: (error as { code?: number }).code ?? -1 }),
      complete: () => {},
    });
  });
}

describe('access control with API keys', function () {
  this.timeout(60_000);
  let system: TestSystem;
  const jobs: Record<'alpha' | 'beta', { id: string; documentId: string }> = {} as any;

  before(async () => {
    system = await startTestSystem({ config: { apiKeys: API_KEYS } });
    for (const collection of ['alpha', 'beta'] as const) {
      const result = await gql(system.url, 'mutation($input: IngestInput!) { ingestDocument(input: $input) { id documentId } }',
        { input: { collection, text: `Notes kept in the ${collection} collection about tides.` } }, bearer('admin'));
      assert.deepEqual(result.errors, undefined);
      jobs[collection] = result.data.ingestDocument;
    }
    for (const job of Object.values(jobs)) {
      const deadline = Date.now() + 30_000;
      while ((await system.store.getJob(job.id))?.status !== 'SUCCEEDED') {
        if (Date.now() > deadline) throw new Error(`job ${job.id} did not succeed`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  });
  after(async () => { await system?.stop(); });

  describe('over HTTP', () => {
    it('when no key or an unknown key is sent, should answer 401 UNAUTHENTICATED without doing anything', async () => {
      const before = (await system.store.listJobs({ first: 100 })).jobs.length;
      for (const key of ['none', 'unknown'] as const) {
        const query = await post(system.url, JSON.stringify({ query: '{ jobs { edges { node { id } } } }' }), bearer(key));
        assert.equal(query.status, 401);
        assert.deepEqual(codes(query.json), ['UNAUTHENTICATED']);
        const mutation = await post(system.url, JSON.stringify({ query: INGEST, variables: { input: { collection: 'alpha', text: 'x' } } }), bearer(key));
        assert.deepEqual(codes(mutation.json), ['UNAUTHENTICATED']);
      }
      assert.equal((await system.store.listJobs({ first: 100 })).jobs.length, before);
    });

    const SEARCH = 'query($c: String!) { search(collection: $c, query: "tides") { documentId } }';
    const cases: { key: KeyName; what: string; query: string; variables?: (ids: typeof jobs) => Record<string, unknown>; expect: 'ok' | 'FORBIDDEN' | 'NOT_FOUND' }[] = [
      { key: 'alphaIngest', what: 'ingest into its collection', query: INGEST, variables: () => ({ input: { collection: 'alpha', text: 'Ingest allowed.' } }), expect: 'ok' },
      { key: 'alphaIngest', what: 'ingest into another collection', query: INGEST, variables: () => ({ input: { collection: 'beta', text: 'No.' } }), expect: 'FORBIDDEN' },
      { key: 'alphaIngest', what: 'search its collection without the search role', query: SEARCH, variables: () => ({ c: 'alpha' }), expect: 'FORBIDDEN' },
      { key: 'alphaIngest', what: 'delete a collection without admin', query: 'mutation { deleteCollection(name: "alpha") }', expect: 'FORBIDDEN' },
      { key: 'alphaSearch', what: 'search its collection', query: SEARCH, variables: () => ({ c: 'alpha' }), expect: 'ok' },
      { key: 'alphaSearch', what: 'search another collection', query: SEARCH, variables: () => ({ c: 'beta' }), expect: 'FORBIDDEN' },
      { key: 'alphaSearch', what: 'ingest without the ingest role', query: INGEST, variables: () => ({ input: { collection: 'alpha', text: 'No.' } }), expect: 'FORBIDDEN' },
      { key: 'alphaSearch', what: 'delete a document without the ingest role', query: 'mutation($id: ID!) { deleteDocument(collection: "alpha", id: $id) }', variables: (ids) => ({ id: ids.alpha.documentId }), expect: 'FORBIDDEN' },
      { key: 'beta', what: 'delete a document of another collection', query: 'mutation($id: ID!) { deleteDocument(collection: "alpha", id: $id) }', variables: (ids) => ({ id: ids.alpha.documentId }), expect: 'FORBIDDEN' },
      { key: 'beta', what: 'read a document of another collection', query: 'query($id: ID!) { document(collection: "alpha", id: $id) { id } }', variables: (ids) => ({ id: ids.alpha.documentId }), expect: 'FORBIDDEN' },
      { key: 'alphaSearch', what: 'read jobs of a collection it may not use', query: '{ jobs(collection: "beta") { edges { node { id } } } }', expect: 'FORBIDDEN' },
      { key: 'beta', what: 'cancel another collection\'s job', query: 'mutation($id: ID!) { cancelJob(id: $id) { id } }', variables: (ids) => ({ id: ids.alpha.id }), expect: 'NOT_FOUND' },
      { key: 'beta', what: 'search its collection', query: SEARCH, variables: () => ({ c: 'beta' }), expect: 'ok' },
      { key: 'admin', what: 'search any collection', query: SEARCH, variables: () => ({ c: 'alpha' }), expect: 'ok' },
    ];
    for (const testCase of cases) {
      it(`when ${testCase.key} tries to ${testCase.what}, should ${testCase.expect === 'ok' ? 'be allowed' : `answer ${testCase.expect}`}`, async () => {
        const result = await gql(system.url, testCase.query, testCase.variables?.(jobs) ?? {}, bearer(testCase.key));
        if (testCase.expect === 'ok') assert.equal(result.errors, undefined, JSON.stringify(result.errors));
        else assert.deepEqual(codes(result), [testCase.expect]);
      });
    }

    it('when a key reuses the documentId of a collection it cannot see, should get a document of its own and leave the other', async () => {
      const DOCUMENT = 'query($c: String!, $d: ID!) { document(collection: $c, id: $d) { id collection title chunkCount updatedAt } }';
      const alphaBefore = await gql(system.url, DOCUMENT, { c: 'alpha', d: jobs.alpha.documentId }, bearer('admin'));
      const reused = await gql(system.url, INGEST, { input: { collection: 'beta', documentId: jobs.alpha.documentId, text: 'Beta\'s own words.' } }, bearer('beta'));
      assert.equal(reused.errors, undefined, 'nothing says the id is used elsewhere');
      const deadline = Date.now() + 30_000;
      while ((await system.store.getJob(reused.data.ingestDocument.id))?.status !== 'SUCCEEDED') {
        if (Date.now() > deadline) throw new Error('the reused id was not indexed');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.deepEqual(await gql(system.url, DOCUMENT, { c: 'alpha', d: jobs.alpha.documentId }, bearer('admin')), alphaBefore);
      const own = await gql(system.url, DOCUMENT, { c: 'beta', d: jobs.alpha.documentId }, bearer('beta'));
      assert.equal(own.data.document.collection, 'beta');
    });

    it('when a key reads a job of another collection, should get null, as for a missing one', async () => {
      const query = 'query($j: ID!) { job(id: $j) { id } }';
      const result = await gql(system.url, query, { j: jobs.alpha.id }, bearer('beta'));
      assert.deepEqual(result, await gql(system.url, query, { j: 'no-such-job' }, bearer('beta')));
      assert.deepEqual(result.data, { job: null });
      const own = await gql(system.url, 'query($j: ID!, $c: String!, $d: ID!) { job(id: $j) { id } document(collection: $c, id: $d) { id } }',
        { j: jobs.beta.id, c: 'beta', d: jobs.beta.documentId }, bearer('beta'));
      assert.deepEqual(own.data, { job: { id: jobs.beta.id }, document: { id: jobs.beta.documentId } });
    });

    it('when a key lists jobs, should see only its collections, while admin sees all', async () => {
      const list = async (key: KeyName) => {
        const result = await gql(system.url, '{ jobs(first: 100) { edges { node { id collection } } } }', {}, bearer(key));
        assert.equal(result.errors, undefined);
        return result.data.jobs.edges.map((edge: any) => edge.node);
      };
      const beta = await list('beta');
      assert.ok(beta.some((job: any) => job.id === jobs.beta.id));
      assert.ok(beta.every((job: any) => job.collection === 'beta'));
      const admin = new Set((await list('admin')).map((job: any) => job.collection));
      assert.ok(admin.has('alpha') && admin.has('beta'));
    });
  });

  describe('over WebSocket', () => {
    it('when connection_init carries no key, should close with 4401; an unknown key, with 4403', async () => {
      for (const [params, code] of [[{}, 4401], [{ Authorization: `Bearer ${generateApiKey()}` }, 4403]] as const) {
        const { client, closed } = socketClient(system.url, params);
        try {
          const result = await firstResult(client, 'subscription { jobEvents { status } }');
          assert.equal(result.closeCode, code);
          assert.equal(await closed, code);
        } finally {
          await client.dispose();
        }
      }
    });

    it('when a key subscribes to a collection it may not use, should get FORBIDDEN; another collection\'s job, NOT_FOUND', async () => {
      const { client } = socketClient(system.url, { authorization: `Bearer ${KEYS.beta.secret}` });
      try {
        const events = await firstResult(client, 'subscription { jobEvents(collection: "alpha") { status } }');
        assert.deepEqual(events.errors?.map((error: any) => error.extensions?.code), ['FORBIDDEN']);
        const progress = await firstResult(client, 'subscription($id: ID!) { jobProgress(id: $id) { status } }', { id: jobs.alpha.id });
        assert.deepEqual(progress.errors?.map((error: any) => error.extensions?.code), ['NOT_FOUND']);
        const own = await firstResult(client, 'subscription($id: ID!) { jobProgress(id: $id) { status } }', { id: jobs.beta.id });
        assert.equal(own.data?.jobProgress.status, 'SUCCEEDED');
      } finally {
        await client.dispose();
      }
    });

    it('when a key follows every job event, should receive only its collections\' events', async () => {
      const { client } = socketClient(system.url, { Authorization: `Bearer ${KEYS.beta.secret}` });
      const received: any[] = [];
      const dispose = client.subscribe({ query: 'subscription { jobEvents { status job { id collection } } }' }, {
        next: (value) => received.push((value.data as any)?.jobEvents), error: () => {}, complete: () => {},
      });
      try {
        await new Promise((resolve) => setTimeout(resolve, 300)); // let the subscription register
        const alpha = await gql(system.url, INGEST, { input: { collection: 'alpha', text: 'Herons wait at the edge.' } }, bearer('admin'));
        const beta = await gql(system.url, INGEST, { input: { collection: 'beta', text: 'Egrets follow the cattle.' } }, bearer('admin'));
        const deadline = Date.now() + 20_000;
        while (!received.some((event) => event?.job.id === beta.data.ingestDocument.id && event.status === 'SUCCEEDED')) {
          if (Date.now() > deadline) throw new Error(`no SUCCEEDED event for the beta job; got ${JSON.stringify(received)}`);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        assert.equal((await system.store.getJob(alpha.data.ingestDocument.id))?.collection, 'alpha');
        assert.ok(received.every((event) => event.job.collection === 'beta'), JSON.stringify(received));
      } finally {
        dispose();
        await client.dispose();
      }
    });
  });
});

describe('limits on what a request may cost', function () {
  this.timeout(60_000);
  let system: TestSystem;
  const input = '{ collection: "limits", text: "A short note." }';

  before(async () => { system = await startTestSystem({ actors: false, config: { maxBodyBytes: 64 * 1024 } }); });
  after(async () => { await system?.stop(); });

  /** Sends `body` and checks that no job was created and no message queued. */
  async function refusedWithoutWork(body: string): Promise<{ status: number; json: any }> {
    const depths = await queueDepths(system.names);
    const result = await post(system.url, body);
    assert.equal((await system.store.listJobs({ first: 10 })).jobs.length, 0, 'no job created');
    assert.deepEqual(await queueDepths(system.names), depths, 'queue depths unchanged');
    return result;
  }

  it('when a mutation nests deeper than MAX_QUERY_DEPTH, should refuse it before running it', async () => {
    const selection = `${'... on Job { '.repeat(12)}id${' }'.repeat(12)}`;
    const result = await refusedWithoutWork(JSON.stringify({ query: `mutation { ingestDocument(input: ${input}) { ${selection} } }` }));
    assert.match(JSON.stringify(result.json.errors), /depth/i);
  });

  it('when a mutation floods aliases, should refuse it before running it', async () => {
    const fields = Array.from({ length: 30 }, (_, i) => `a${i}: ingestDocument(input: ${input}) { id }`).join(' ');
    const result = await refusedWithoutWork(JSON.stringify({ query: `mutation { ${fields} }` }));
    assert.match(JSON.stringify(result.json.errors), /aliases/i);
  });

  it('when the body is larger than MAX_BODY_BYTES, should answer 413 before parsing', async () => {
    const text = 'x'.repeat(100 * 1024);
    const result = await refusedWithoutWork(JSON.stringify({ query: INGEST, variables: { input: { collection: 'limits', text } } }));
    assert.equal(result.status, 413);
    assert.deepEqual(codes(result.json), ['PAYLOAD_TOO_LARGE']);
  });

  it('when an operation within the limits is sent in open mode, should run it', async () => {
    const result = await gql(system.url, INGEST, { input: { collection: 'limits', text: 'Within limits.' } });
    assert.equal(result.errors, undefined);
    await system.startActors();
    assert.equal((await waitForJob(system.url, result.data.ingestDocument.id)).status, 'SUCCEEDED');
  });
});
