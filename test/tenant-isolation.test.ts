/**
 * Tenant isolation (issue 12): a key scoped to collection alpha runs every query, mutation and
 * subscription of the API with collection beta's ids (job, document, chunk, dead letter, cursor)
 * and finds no read, change or signal across the boundary: beta's documents stay searchable and
 * unchanged, beta's jobs unaffected, and every answer to alpha is the answer it gets for ids that
 * exist nowhere.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Client } from 'graphql-ws';
import { generateApiKey, hashApiKey } from '../gateway/auth/api-keys.ts';
import { gql, wsClient, type GraphQLResponse } from './support/graphql-client.ts';
import { startTestSystem, withAmqp, type TestSystem } from './support/test-system.ts';

const KEYS = { alpha: generateApiKey(), beta: generateApiKey() };
const API_KEYS = JSON.stringify([
  { name: 'alpha', hash: hashApiKey(KEYS.alpha), collections: ['alpha'], roles: ['ingest', 'search'] },
  { name: 'beta', hash: hashApiKey(KEYS.beta), collections: ['beta'], roles: ['ingest', 'search'] },
]);
type Tenant = keyof typeof KEYS;
const as = (tenant: Tenant) => ({ authorization: `Bearer ${KEYS[tenant]}` });

const JOB = 'id collection documentId status stage progress attempts error chunkCount priority createdAt updatedAt finishedAt';
const INGEST = `mutation($input: IngestInput!) { ingestDocument(input: $input) { ${JOB} } }`;
const SEARCH = 'query($c: String!, $q: String!) { search(collection: $c, query: $q, k: 20) { chunkId documentId text score ordinal title metadata } }';
const DOCUMENT = 'query($c: String!, $id: ID!) { document(collection: $c, id: $id) { id collection title mimeType status chunkCount metadata createdAt updatedAt } }';
const JOBS = `query($c: String, $after: String) { jobs(collection: $c, first: 100, after: $after) { edges { cursor node { id documentId status updatedAt } } pageInfo { hasNextPage endCursor } } }`;
const DEAD_LETTERS = 'query { deadLetters(first: 100) { jobId stage error collection messageType } }';
const DOCUMENTS = 'query($c: String!, $after: String, $prefix: String) { documents(collection: $c, first: 100, after: $after, idPrefix: $prefix) { edges { cursor node { id collection chunkCount } } pageInfo { hasNextPage endCursor } } }';
const COLLECTIONS = 'query { collections { name embedder dimension documentCount chunkCount } }';

const TEXT = {
  shared: 'Lighthouse keepers log the tides every evening before the lamp is lit.',
  private: 'Cormorants dry their wings on the harbour wall after each dive.',
  queued: 'Puffins return to the same burrow on the cliff every spring.',
};

async function call(tenant: Tenant, query: string, variables: Record<string, unknown> = {}): Promise<GraphQLResponse> {
  return gql(TEST.system.url, query, variables, as(tenant));
}

async function data(tenant: Tenant, query: string, variables: Record<string, unknown> = {}): Promise<any> {
  const result = await call(tenant, query, variables);
  assert.equal(result.errors, undefined, JSON.stringify(result.errors));
  return result.data;
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!await check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function status(jobId: string): Promise<string | undefined> {
  return (await TEST.system.store.getJob(jobId))?.status;
}

/** An answer with `secret` (an id or name of beta's) replaced, to compare it with the answer for an unknown one. */
function normalized(result: unknown, secret: string): string {
  return JSON.stringify(result).split(secret).join('<ID>');
}

/** The first result of a subscription: its data or its errors. */
function firstResult(client: Client, query: string, variables: Record<string, unknown>): Promise<unknown> {
  return new Promise((resolve) => {
    const dispose = client.subscribe({ query, variables }, {
      next: (value) => { dispose(); resolve(value); },
      error: (error) => resolve({ error }),
      complete: () => resolve({ completed: true }),
    });
  });
}

/** Everything beta can observe of its own collection. */
async function betaView(): Promise<unknown> {
  return {
    shared: await data('beta', SEARCH, { c: 'beta', q: TEXT.shared }),
    private: await data('beta', SEARCH, { c: 'beta', q: TEXT.private }),
    documents: await Promise.all([B.shared.documentId, B.private.documentId].map((id) => data('beta', DOCUMENT, { c: 'beta', id }))),
    jobs: await data('beta', JOBS, { c: 'beta' }),
    deadLetters: await data('beta', DEAD_LETTERS),
    documentList: await data('beta', DOCUMENTS, { c: 'beta' }),
    collections: await data('beta', COLLECTIONS),
  };
}

const TEST = {} as { system: TestSystem };
/** Beta's ids: two indexed documents, one dead-lettered job; alpha's cancelled job on the shared id. */
const B = {} as { shared: any; private: any; deadJob: string; cursor: string };
const A = {} as { cancelled: any };

describe('tenant isolation between two collection-scoped keys', function () {
  this.timeout(120_000);

  before(async () => {
    TEST.system = await startTestSystem({ actors: false, config: { apiKeys: API_KEYS } });
    // Alpha prepares the takeover: a job on the id beta will use, cancelled before any stage ran.
    A.cancelled = (await data('alpha', INGEST, { input: { collection: 'alpha', documentId: 'shared-id', text: 'Alpha wants this id.' } })).ingestDocument;
    assert.equal((await data('alpha', 'mutation($id: ID!) { cancelJob(id: $id) { status } }', { id: A.cancelled.id })).cancelJob.status, 'CANCELLED');
    await TEST.system.startActors();
    await until('the cancelled job\'s resume point', async () => (await TEST.system.store.getResumePoint(A.cancelled.id)) !== null);

    B.shared = (await data('beta', INGEST, { input: { collection: 'beta', documentId: 'shared-id', text: TEXT.shared } })).ingestDocument;
    B.private = (await data('beta', INGEST, { input: { collection: 'beta', text: TEXT.private } })).ingestDocument;
    for (const job of [B.shared, B.private]) await until(`beta job ${job.id}`, async () => (await status(job.id)) === 'SUCCEEDED');

    // A beta job whose parse message breaks its contract: dead-lettered, with a dead letter naming it.
    B.deadJob = randomUUID();
    await TEST.system.store.createJob({ id: B.deadJob, collection: 'beta', documentId: 'beta-poison', priority: 'NORMAL' });
    const poison = {
      type: 'parse.request', version: 1, job: { jobId: B.deadJob, collection: 'beta', documentId: 'beta-poison', priority: 'NORMAL' },
      document: { title: null, mimeType: null, sourceUrl: null, metadata: {}, contentHash: null }, contentBase64: 'aGVsbG8=',
    };
    await withAmqp(async (channel) => { channel.sendToQueue(TEST.system.names.stageQueue('PARSE'), Buffer.from(JSON.stringify(poison)), { persistent: true }); });
    await until('the dead letter', async () => (await status(B.deadJob)) === 'DEAD_LETTERED');
    await until('the dead letter listed', async () => (await data('beta', DEAD_LETTERS)).deadLetters.length === 1);
    B.cursor = (await data('beta', JOBS, { c: 'beta' })).jobs.edges[0].cursor;
  });
  after(async () => { await TEST.system?.stop(); });

  it('when alpha retries its cancelled job on an id beta indexed since, should write alpha\'s own document and leave beta\'s', async () => {
    const before = await betaView();
    const retried = await data('alpha', 'mutation($id: ID!) { retryJob(id: $id) { status } }', { id: A.cancelled.id });
    assert.equal(retried.retryJob.status, 'QUEUED');
    await until('the retried job', async () => (await status(A.cancelled.id)) === 'SUCCEEDED');
    assert.deepEqual(await betaView(), before);
    const own = await data('alpha', DOCUMENT, { c: 'alpha', id: 'shared-id' });
    assert.equal(own.document.collection, 'alpha');
    const hits = (await data('alpha', SEARCH, { c: 'alpha', q: 'alpha wants this id' })).search;
    assert.deepEqual(hits.map((hit: any) => hit.documentId), ['shared-id']);
  });

  it('when alpha ingests beta\'s document ids with beta\'s very content, should index alpha\'s own documents with other chunk ids', async () => {
    const before = await betaView();
    const jobs = [];
    for (const [documentId, text] of [[B.shared.documentId, TEXT.shared], [B.private.documentId, TEXT.private]]) {
      const taken = await call('alpha', INGEST, { input: { collection: 'alpha', documentId, text } });
      const fresh = await call('alpha', INGEST, { input: { collection: 'alpha', documentId: `fresh-${randomUUID()}`, text } });
      assert.equal(taken.errors, undefined, 'no answer tells alpha the id is used elsewhere');
      assert.equal(fresh.errors, undefined);
      jobs.push(taken.data!.ingestDocument.id, fresh.data!.ingestDocument.id);
    }
    for (const id of jobs) await until(`alpha job ${id}`, async () => (await status(id)) === 'SUCCEEDED');
    assert.deepEqual(await betaView(), before);
    const betaChunks = new Set((before as any).private.search.map((hit: any) => hit.chunkId));
    const alphaHits = (await data('alpha', SEARCH, { c: 'alpha', q: TEXT.private })).search;
    assert.ok(alphaHits.some((hit: any) => hit.documentId === B.private.documentId));
    assert.ok(alphaHits.every((hit: any) => !betaChunks.has(hit.chunkId)), 'a chunk id names one collection\'s chunk');
  });

  it('when a job\'s resume point names another collection\'s document, should refuse to resume it and change nothing', async () => {
    const before = await betaView();
    const jobId = randomUUID();
    await TEST.system.store.createJob({ id: jobId, collection: 'alpha', documentId: 'alpha-doc', priority: 'NORMAL' });
    await TEST.system.store.updateJob(jobId, { status: 'FAILED', stage: 'FETCH', error: 'boom' });
    const forged = { type: 'fetch.request', version: 1, job: { jobId, collection: 'beta', documentId: B.shared.documentId, priority: 'NORMAL' } };
    await TEST.system.store.saveResumePoint({ jobId, stage: 'FETCH', message: JSON.stringify(forged) });
    const result = await call('alpha', 'mutation($id: ID!) { retryJob(id: $id) { status } }', { id: jobId });
    assert.deepEqual(result.errors?.map((error) => error.extensions?.code), ['CONFLICT']);
    assert.equal(await status(jobId), 'FAILED');
    assert.deepEqual(await betaView(), before);
  });

  it('when alpha runs every operation with beta\'s ids, should change nothing of beta\'s and get the answers unknown ids get', async () => {
    // A beta job waiting in the queue (no actors), which nothing alpha does may cancel or move.
    await TEST.system.stopActors();
    const queued = (await data('beta', INGEST, { input: { collection: 'beta', documentId: 'queued-id', text: TEXT.queued } })).ingestDocument;
    B.cursor = (await data('beta', JOBS, { c: 'beta' })).jobs.edges.at(-1).cursor;
    const before = await betaView();
    const unknownJob = randomUUID();
    const unknownDocument = `unknown-${randomUUID()}`;
    const [createdAt] = JSON.parse(Buffer.from(B.cursor, 'base64url').toString('utf8')) as [number, string];
    const unknownCursor = Buffer.from(JSON.stringify([createdAt, unknownJob])).toString('base64url');

    /** Each probe: the operation with beta's id, and the same with an id or name that exists nowhere. */
    const probes: { what: string; query: string; secret: string; unknown: string; variables: (id: string) => Record<string, unknown> }[] = [
      { what: 'job', query: `query($id: ID!) { job(id: $id) { ${JOB} } }`, secret: queued.id, unknown: unknownJob, variables: (id) => ({ id }) },
      { what: 'finished job', query: `query($id: ID!) { job(id: $id) { ${JOB} } }`, secret: B.shared.id, unknown: unknownJob, variables: (id) => ({ id }) },
      { what: 'jobs of the collection', query: JOBS, secret: 'beta', unknown: 'nowhere', variables: (c) => ({ c }) },
      { what: 'jobs after beta\'s cursor', query: JOBS, secret: B.cursor, unknown: unknownCursor, variables: (after) => ({ after }) },
      { what: 'jobs of alpha after beta\'s cursor', query: JOBS, secret: B.cursor, unknown: unknownCursor, variables: (after) => ({ c: 'alpha', after }) },
      { what: 'document in beta', query: DOCUMENT, secret: B.private.documentId, unknown: unknownDocument, variables: (id) => ({ c: 'beta', id }) },
      { what: 'document id in alpha', query: DOCUMENT, secret: 'queued-id', unknown: unknownDocument, variables: (id) => ({ c: 'alpha', id }) },
      { what: 'search', query: SEARCH, secret: 'beta', unknown: 'nowhere', variables: (c) => ({ c, q: TEXT.private }) },
      { what: 'documents of beta', query: DOCUMENTS, secret: 'beta', unknown: 'nowhere', variables: (c) => ({ c }) },
      { what: 'documents of alpha with beta\'s id as prefix', query: DOCUMENTS, secret: 'queued-id', unknown: unknownDocument, variables: (prefix) => ({ c: 'alpha', prefix }) },
      { what: 'cancelJob', query: `mutation($id: ID!) { cancelJob(id: $id) { ${JOB} } }`, secret: queued.id, unknown: unknownJob, variables: (id) => ({ id }) },
      { what: 'retryJob', query: `mutation($id: ID!) { retryJob(id: $id) { ${JOB} } }`, secret: B.deadJob, unknown: unknownJob, variables: (id) => ({ id }) },
      { what: 'deleteDocument in beta', query: 'mutation($c: String!, $id: ID!) { deleteDocument(collection: $c, id: $id) }', secret: B.private.documentId, unknown: unknownDocument, variables: (id) => ({ c: 'beta', id }) },
      { what: 'deleteDocument of a beta id in alpha', query: 'mutation($c: String!, $id: ID!) { deleteDocument(collection: $c, id: $id) }', secret: 'queued-id', unknown: unknownDocument, variables: (id) => ({ c: 'alpha', id }) },
      { what: 'deleteCollection', query: 'mutation($c: String!) { deleteCollection(name: $c) }', secret: 'beta', unknown: 'nowhere', variables: (c) => ({ c }) },
      { what: 'replayDeadLetters', query: 'mutation($ids: [ID!]) { replayDeadLetters(jobIds: $ids) }', secret: B.deadJob, unknown: unknownJob, variables: (id) => ({ ids: [id] }) },
      { what: 'retryJobs', query: 'mutation($c: String) { retryJobs(collection: $c) }', secret: 'beta', unknown: 'nowhere', variables: (c) => ({ c }) },
      { what: 'ingestDocument into beta', query: INGEST, secret: 'beta', unknown: 'nowhere', variables: (collection) => ({ input: { collection, text: 'x' } }) },
      { what: 'ingestDocuments into beta', query: 'mutation($c: String!) { ingestDocuments(inputs: [{ collection: $c, text: "x" }]) { id } }', secret: 'beta', unknown: 'nowhere', variables: (c) => ({ c }) },
    ];
    for (const probe of probes) {
      const withSecret = await call('alpha', probe.query, probe.variables(probe.secret));
      const withUnknown = await call('alpha', probe.query, probe.variables(probe.unknown));
      assert.equal(normalized(withSecret, probe.secret), normalized(withUnknown, probe.unknown), probe.what);
    }
    // Lists: alpha sees none of beta's dead letters, jobs or hits; never beta's collection name.
    assert.deepEqual((await data('alpha', DEAD_LETTERS)).deadLetters, []);
    assert.ok(!JSON.stringify(await data('alpha', JOBS, {})).includes('"beta"'));
    assert.deepEqual((await data('alpha', COLLECTIONS)).collections.map((collection: { name: string }) => collection.name), ['alpha']);
    for (const [tenantQuery, variables] of [[JOBS, {}], [DEAD_LETTERS, {}], [SEARCH, { c: 'alpha', q: TEXT.queued }], [COLLECTIONS, {}], [DOCUMENTS, { c: 'alpha' }]] as const) {
      assert.doesNotMatch(JSON.stringify(await call('alpha', tenantQuery, variables)), /queued-id|beta/);
    }

    // Subscriptions: another collection's job reads as a missing one, its events are not delivered.
    const client = wsClient(TEST.system.url, { Authorization: `Bearer ${KEYS.alpha}` });
    try {
      const progress = 'subscription($id: ID!) { jobProgress(id: $id) { status } }';
      assert.equal(normalized(await firstResult(client, progress, { id: queued.id }), queued.id), normalized(await firstResult(client, progress, { id: unknownJob }), unknownJob));
      const events = 'subscription($c: String) { jobEvents(collection: $c) { status } }';
      assert.equal(normalized(await firstResult(client, events, { c: 'beta' }), 'beta'), normalized(await firstResult(client, events, { c: 'nowhere' }), 'nowhere'));
    } finally {
      await client.dispose();
    }

    // Alpha's own job on beta's waiting id, then deleting that id in alpha: only alpha's job ends.
    const mine = (await data('alpha', INGEST, { input: { collection: 'alpha', documentId: 'queued-id', text: 'Alpha also uses this id.' } })).ingestDocument;
    assert.equal((await data('alpha', 'mutation { deleteDocument(collection: "alpha", id: "queued-id") }')).deleteDocument, true);
    assert.equal(await status(mine.id), 'CANCELLED');
    assert.equal(await status(queued.id), 'QUEUED');

    assert.deepEqual(await betaView(), before);
    await TEST.system.startActors();
    await until('beta\'s waiting job', async () => (await status(queued.id)) === 'SUCCEEDED');
    const hits = (await data('beta', SEARCH, { c: 'beta', q: TEXT.queued })).search;
    assert.equal(hits[0].documentId, 'queued-id');
  });
});
