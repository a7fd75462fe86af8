/**
 * The store contract: the one suite every Store implementation runs (SQLite, MongoDB).
 * Expected search orders are derived from the hand-made vectors (cosine computed here), never
 * hard-coded. Search assertions go through `eventually` so a store whose vector index is
 * eventually consistent (Atlas Vector Search) can pass; an immediate store passes at once.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { EmbedderIdentity, IndexedChunk, Job, Metadata, SearchHit } from '../schema/domain.ts';
import { EmbedderMismatchError } from '../schema/embedder-mismatch.ts';
import { DuplicateJobError } from '../stores/job-rules.ts';
import { JobDocumentMismatchError } from '../stores/store.ts';
import { describeSearchModes } from './store-contract-modes.ts';
import { cosine, DIMENSION, eventually, unit } from './support/contract-vectors.ts';
import type { DocumentVersion, IndexRequest, NewJob, Store } from '../stores/store.ts';

/** Opens a fresh, empty store; `cleanup` closes it and removes what it created. */
export type OpenStore = () => Promise<{ store: Store; cleanup: () => Promise<void> }>;

const EMBEDDER: EmbedderIdentity = { name: 'contract-test', dimension: DIMENSION };

/** Chunk ids of `chunks` ordered by cosine similarity to `query`, best first. */
function expectedOrder(query: Float32Array, chunks: readonly IndexedChunk[]): string[] {
  return [...chunks]
    .map((chunk) => ({ id: chunk.id, score: cosine(query, chunk.vector) }))
    .sort((a, b) => b.score - a.score)
    .map((entry) => entry.id);
}

function chunk(documentId: string, ordinal: number, vector: Float32Array, version = 'v1'): IndexedChunk {
  return { id: `${documentId}:${version}:${ordinal}`, ordinal, text: `${documentId} ${version} part ${ordinal}`, heading: null, vector };
}

function documentVersion(id: string, collection: string, metadata: Metadata = {}, contentHash = 'hash-1'): DocumentVersion {
  return { id, collection, title: `Title of ${id}`, mimeType: 'text/plain', sourceUrl: null, metadata, contentHash };
}

function sortNewestFirst(jobs: readonly Job[]): string[] {
  return [...jobs]
    .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
    .map((job) => job.id);
}

/** What a store implements so far; the suite expects the rest to be refused clearly. */
export interface StoreFeatures {
  /** LEXICAL and HYBRID search (default true). */
  readonly lexical?: boolean;
}

export function describeStoreContract(name: string, open: OpenStore, features: StoreFeatures = {}): void {
  describe(`Store contract: ${name}`, function () {
    this.timeout(60_000);
    let store: Store;
    let cleanup: () => Promise<void>;

    beforeEach(async () => {
      ({ store, cleanup } = await open());
    });
    afterEach(async () => {
      await cleanup();
    });

    function newJob(collection: string, documentId: string, overrides: Partial<NewJob> = {}): NewJob {
      return { id: `job-${randomUUID()}`, collection, documentId, priority: 'NORMAL', ...overrides };
    }

    /** Creates a job and indexes `chunks` for it; returns the request for later comparison. */
    async function ingest(document: DocumentVersion, chunks: readonly IndexedChunk[], embedder = EMBEDDER): Promise<IndexRequest> {
      const job = await store.createJob(newJob(document.collection, document.id));
      const request: IndexRequest = { jobId: job.id, document, embedder, chunks };
      const outcome = await store.indexDocument(request);
      assert.equal(outcome.kind, 'indexed');
      return request;
    }

    describe('jobs', () => {
      it('when a job is created, should be QUEUED at seq 1 with no progress and readable by id', async () => {
        const created = await store.createJob(newJob('docs', 'doc-1', { priority: 'HIGH', traceId: 'trace-1' }));
        assert.equal(created.status, 'QUEUED');
        assert.equal(created.stage, null);
        assert.equal(created.progress, 0);
        assert.equal(created.attempts, 0);
        assert.equal(created.seq, 1);
        assert.equal(created.finishedAt, null);
        assert.equal(created.priority, 'HIGH');
        assert.equal(created.traceId, 'trace-1');
        assert.deepEqual(await store.getJob(created.id), created);
      });

      it('when a job id is created twice, should reject the second with DuplicateJobError naming the id', async () => {
        const job = newJob('docs', 'doc-1');
        await store.createJob(job);
        await assert.rejects(store.createJob(job),
          (error: unknown) => error instanceof DuplicateJobError && error.jobId === job.id && error.message.includes(job.id));
      });

      it('when a patch holds an unknown status or progress outside 0..1, should reject naming the field', async () => {
        const { id } = await store.createJob(newJob('docs', 'doc-1'));
        await assert.rejects(store.updateJob(id, { status: 'LOST' as never }), /^Error: status must be one of QUEUED/);
        await assert.rejects(store.updateJob(id, { progress: 1.5 }), /^Error: progress must be between 0 and 1, got 1.5/);
        await assert.rejects(store.listJobs({ first: -1 }), /^Error: first must be a non-negative integer/);
      });

      it('when a job is unknown, should return null from getJob and updateJob', async () => {
        assert.equal(await store.getJob('no-such-job'), null);
        assert.equal(await store.updateJob('no-such-job', { status: 'RUNNING' }), null);
      });

      it('when a running job is updated, should apply the patch and bump seq on every change', async () => {
        const created = await store.createJob(newJob('docs', 'doc-1'));
        const running = await store.updateJob(created.id, { status: 'RUNNING', stage: 'FETCH', progress: 0.1, attempts: 1 });
        assert.ok(running);
        assert.equal(running.status, 'RUNNING');
        assert.equal(running.stage, 'FETCH');
        assert.equal(running.progress, 0.1);
        assert.equal(running.attempts, 1);
        assert.equal(running.seq, created.seq + 1);
        assert.ok(running.updatedAt.getTime() >= created.updatedAt.getTime());
        const parsed = await store.updateJob(created.id, { stage: 'PARSE', progress: 0.25, error: 'transient' });
        assert.equal(parsed?.seq, created.seq + 2);
        assert.equal(parsed?.error, 'transient');
        assert.deepEqual(await store.getJob(created.id), parsed);
      });

      it('when progress would go down, should keep the higher value unless forced', async () => {
        const { id } = await store.createJob(newJob('docs', 'doc-1'));
        await store.updateJob(id, { status: 'RUNNING', progress: 0.5 });
        const lower = await store.updateJob(id, { progress: 0.2 });
        assert.equal(lower?.progress, 0.5);
        const forced = await store.updateJob(id, { progress: 0.2, force: true });
        assert.equal(forced?.progress, 0.2);
      });

      for (const status of ['SUCCEEDED', 'FAILED', 'CANCELLED', 'DEAD_LETTERED'] as const) {
        it(`when a job is ${status}, should set finishedAt and refuse later unforced patches`, async () => {
          const { id } = await store.createJob(newJob('docs', 'doc-1'));
          const finished = await store.updateJob(id, { status, error: status === 'FAILED' ? 'boom' : null });
          assert.equal(finished?.status, status);
          assert.ok(finished?.finishedAt instanceof Date);
          const late = await store.updateJob(id, { status: 'RUNNING', stage: 'EMBED', progress: 0.9 });
          assert.deepEqual(late, finished);
          assert.deepEqual(await store.getJob(id), finished);
        });
      }

      it('when a finished job is patched with force, should apply it and clear finishedAt on a non-terminal status', async () => {
        const { id } = await store.createJob(newJob('docs', 'doc-1'));
        const failed = await store.updateJob(id, { status: 'FAILED', progress: 0.4, error: 'boom' });
        const retried = await store.updateJob(id, {
          status: 'QUEUED', stage: null, progress: 0, attempts: 0, error: null, force: true,
        });
        assert.equal(retried?.status, 'QUEUED');
        assert.equal(retried?.progress, 0);
        assert.equal(retried?.error, null);
        assert.equal(retried?.finishedAt, null);
        assert.equal(retried?.seq, (failed?.seq ?? 0) + 1);
      });
    });

    describe('the outbox (point of acceptance)', () => {
      const message = (routingKey: string, priority: number) => ({
        exchange: 'rag.work', routingKey, content: Buffer.from(`{"to":"${routingKey}"}`), priority,
        options: { priority, contentType: 'application/json', headers: { 'x-attempt': 1 } },
      });

      it('when a job is accepted, should record the job QUEUED at the stage its message goes to, and its message, together', async () => {
        const job = await store.acceptJob(newJob('docs', 'doc-1', { stage: 'FETCH' }), message('fetch', 2));
        assert.equal(job.status, 'QUEUED');
        assert.equal(job.stage, 'FETCH');
        assert.equal(job.progress, 0);
        assert.deepEqual(await store.getJob(job.id), job);
        assert.equal(await store.countOutbox(), 1);
        const [entry] = await store.claimOutbox(10, 60_000);
        assert.equal(entry?.jobId, job.id);
        assert.equal(entry?.routingKey, 'fetch');
        assert.equal(entry?.content.toString(), '{"to":"fetch"}');
        assert.deepEqual(entry?.options, { priority: 2, contentType: 'application/json', headers: { 'x-attempt': 1 } });
      });

      it('when the job id already exists, should record neither the job nor its message', async () => {
        const job = newJob('docs', 'doc-1');
        await store.createJob(job);
        await assert.rejects(store.acceptJob(job, message('fetch', 2)), /already exists/);
        assert.equal(await store.countOutbox(), 0);
      });

      it('when messages are claimed, should lease them highest priority first, oldest first, to one claimer at a time', async () => {
        const low = await store.acceptJob(newJob('docs', 'low'), message('fetch', 0));
        const urgent = await store.acceptJob(newJob('docs', 'urgent'), message('fetch', 3));
        const normal = await store.acceptJob(newJob('docs', 'normal'), message('fetch', 2));
        const first = await store.claimOutbox(2, 60_000);
        assert.deepEqual(first.map((entry) => entry.jobId), [urgent.id, normal.id]);
        const second = await store.claimOutbox(10, 60_000);
        assert.deepEqual(second.map((entry) => entry.jobId), [low.id], 'leased messages are not claimed again');
        assert.deepEqual(await store.claimOutbox(10, 60_000), []);
      });

      it('when a lease expires, should let the message be claimed again; once completed, never', async () => {
        await store.acceptJob(newJob('docs', 'doc-1'), message('fetch', 2));
        const [leased] = await store.claimOutbox(10, 1);
        await new Promise((resolve) => setTimeout(resolve, 20));
        const [again] = await store.claimOutbox(10, 60_000);
        assert.equal(again?.id, leased?.id, 'the expired lease is taken over');
        await store.completeOutbox([again!.id]);
        assert.equal(await store.countOutbox(), 0);
        await new Promise((resolve) => setTimeout(resolve, 20));
        assert.deepEqual(await store.claimOutbox(10, 1), []);
      });
    });

    describe('stalled jobs and resume points', () => {
      it('when jobs have not changed since a time, should list only the unfinished ones, least recent first', async () => {
        const queued = await store.createJob(newJob('docs', 'doc-1'));
        const running = await store.createJob(newJob('docs', 'doc-2'));
        await store.updateJob(running.id, { status: 'RUNNING', stage: 'EMBED' });
        const finished = await store.createJob(newJob('docs', 'doc-3'));
        await store.updateJob(finished.id, { status: 'FAILED', error: 'boom' });
        await new Promise((resolve) => setTimeout(resolve, 20));
        const cutoff = new Date();
        await new Promise((resolve) => setTimeout(resolve, 20));
        const fresh = await store.createJob(newJob('docs', 'doc-4'));

        const stalled = await store.listStalledJobs(cutoff, 10);
        assert.deepEqual(stalled.map((job) => job.id), [queued.id, running.id]);
        assert.equal(stalled[1]?.stage, 'EMBED');
        assert.deepEqual((await store.listStalledJobs(cutoff, 1)).map((job) => job.id), [queued.id]);
        assert.ok(!(await store.listStalledJobs(new Date(Date.now() + 1000), 10)).some((job) => job.id === finished.id));
      });

      it('when a resume point is saved twice, should keep the latest; unknown jobs get none', async () => {
        const { id } = await store.createJob(newJob('docs', 'doc-1'));
        assert.equal(await store.getResumePoint(id), null);
        await store.saveResumePoint({ jobId: id, stage: 'PARSE', message: '{"a":1}' });
        await store.saveResumePoint({ jobId: id, stage: 'EMBED', message: '{"b":2}' });
        const point = await store.getResumePoint(id);
        assert.equal(point?.jobId, id);
        assert.equal(point?.stage, 'EMBED');
        assert.equal(point?.message, '{"b":2}');
        assert.ok(point?.savedAt instanceof Date);
        await store.saveResumePoint({ jobId: 'no-such-job', stage: 'FETCH', message: '{}' });
        assert.equal(await store.getResumePoint('no-such-job'), null);
      });
    });

    describe('listJobs', () => {
      async function seedJobs(): Promise<Job[]> {
        const jobs: Job[] = [];
        for (let i = 0; i < 7; i++) {
          const collection = ['alpha', 'beta', 'gamma'][i % 3]!;
          jobs.push(await store.createJob(newJob(collection, `doc-${i}`, { id: `job-${String(i).padStart(2, '0')}` })));
        }
        const failed = await store.updateJob('job-01', { status: 'FAILED', error: 'boom' });
        const cancelled = await store.updateJob('job-04', { status: 'CANCELLED' });
        return jobs.map((job) => (job.id === 'job-01' ? failed! : job.id === 'job-04' ? cancelled! : job));
      }

      /** Follows cursors page by page and returns the job ids in the order served. */
      async function readAll(query: { collection?: string; collections?: string[]; status?: Job['status'] }, first: number) {
        const ids: string[] = [];
        let after: string | undefined;
        for (let pages = 0; pages < 50; pages++) {
          const page = await store.listJobs({ ...query, first, ...(after === undefined ? {} : { after }) });
          assert.ok(page.jobs.length <= first);
          ids.push(...page.jobs.map((edge) => edge.job.id));
          if (!page.hasNextPage) return ids;
          assert.equal(page.jobs.length, first);
          after = page.jobs.at(-1)!.cursor;
        }
        throw new Error('listJobs never reported the last page');
      }

      it('when paging with cursors, should serve every job once, newest first', async () => {
        const jobs = await seedJobs();
        assert.deepEqual(await readAll({}, 3), sortNewestFirst(jobs));
        assert.deepEqual(await readAll({}, 100), sortNewestFirst(jobs));
      });

      it('when the page holds exactly the rest, should report no next page', async () => {
        const jobs = await seedJobs();
        const page = await store.listJobs({ first: jobs.length });
        assert.equal(page.jobs.length, jobs.length);
        assert.equal(page.hasNextPage, false);
      });

      it('when filtering by collection, collections or status, should page only the matching jobs', async () => {
        const jobs = await seedJobs();
        assert.deepEqual(await readAll({ collection: 'beta' }, 2), sortNewestFirst(jobs.filter((j) => j.collection === 'beta')));
        assert.deepEqual(
          await readAll({ collections: ['alpha', 'gamma'] }, 2),
          sortNewestFirst(jobs.filter((j) => j.collection !== 'beta')),
        );
        assert.deepEqual(await readAll({ collections: [] }, 2), []);
        assert.deepEqual(await readAll({ status: 'QUEUED' }, 2), sortNewestFirst(jobs.filter((j) => j.status === 'QUEUED')));
        assert.deepEqual(
          await readAll({ collection: 'beta', status: 'FAILED' }, 2),
          sortNewestFirst(jobs.filter((j) => j.collection === 'beta' && j.status === 'FAILED')),
        );
      });

      it('when the cursor is not one the store issued, should reject', async () => {
        await seedJobs();
        await assert.rejects(store.listJobs({ first: 2, after: 'not-a-cursor' }));
      });
    });

    describe('indexDocument and search', () => {
      const query = unit(1, 0.2);
      const docA = documentVersion('doc-a', 'docs', { lang: 'en' });
      const chunksA = [
        chunk('doc-a', 0, unit(1, 0, 0)),
        chunk('doc-a', 1, unit(1, 1, 0)),
        chunk('doc-a', 2, unit(0, 1, 1)),
      ];
      const docB = documentVersion('doc-b', 'docs', { lang: 'de' });
      const chunksB = [chunk('doc-b', 0, unit(1, 0.3, 0, 0.1)), chunk('doc-b', 1, unit(0, 0, 0, 0, 1))];

      it('when documents are indexed, should rank chunks by cosine similarity with title and metadata', async () => {
        await ingest(docA, chunksA);
        await ingest(docB, chunksB);
        const all = [...chunksA, ...chunksB];
        const hits = await eventually(async () => {
          const found = await store.search({ collection: 'docs', vector: query, k: all.length });
          assert.deepEqual(found.map((hit) => hit.chunkId), expectedOrder(query, all));
          return found;
        });
        for (const hit of hits) {
          const source = all.find((c) => c.id === hit.chunkId)!;
          assert.ok(Math.abs(hit.score - cosine(query, source.vector)) < 1e-4, `score of ${hit.chunkId}`);
          assert.equal(hit.ordinal, source.ordinal);
          assert.equal(hit.text, source.text);
          const document = hit.documentId === 'doc-a' ? docA : docB;
          assert.equal(hit.title, document.title);
          assert.deepEqual(hit.metadata, document.metadata);
        }
        const top2 = await store.search({ collection: 'docs', vector: query, k: 2 });
        assert.deepEqual(top2.map((hit) => hit.chunkId), expectedOrder(query, all).slice(0, 2));
      });

      it('when a document is indexed, should record it, its collection and a SUCCEEDED job', async () => {
        const request = await ingest(docA, chunksA);
        const job = await store.getJob(request.jobId);
        assert.equal(job?.status, 'SUCCEEDED');
        assert.equal(job?.stage, 'INDEX');
        assert.equal(job?.progress, 1);
        assert.equal(job?.chunkCount, chunksA.length);
        assert.equal(job?.seq, 2);
        assert.ok(job?.finishedAt instanceof Date);
        const document = await store.getDocument('docs', 'doc-a');
        assert.equal(document?.status, 'INDEXED');
        assert.equal(document?.collection, 'docs');
        assert.equal(document?.title, docA.title);
        assert.equal(document?.chunkCount, chunksA.length);
        assert.deepEqual(document?.metadata, docA.metadata);
        assert.equal(document?.contentHash, docA.contentHash);
        assert.equal(await store.countChunks('docs', 'doc-a'), chunksA.length);
        assert.deepEqual(await store.getCollection('docs'), {
          name: 'docs', embedder: EMBEDDER, documentCount: 1, chunkCount: chunksA.length,
        });
        assert.deepEqual(await store.getCollectionEmbedder('docs'), EMBEDDER);
      });

      it('when nothing is stored, should answer null, 0 and [] for unknown ids and collections', async () => {
        assert.equal(await store.getDocument('nope', 'nope'), null);
        assert.equal(await store.getCollection('nope'), null);
        assert.equal(await store.getCollectionEmbedder('nope'), null);
        assert.equal(await store.countChunks('nope', 'nope'), 0);
        assert.deepEqual(await store.search({ collection: 'nope', vector: query, k: 5 }), []);
      });

      it('when a changed version is indexed, should replace the old chunks and keep createdAt', async () => {
        await ingest(docA, chunksA);
        const first = await store.getDocument('docs', 'doc-a');
        const v2 = [chunk('doc-a', 0, unit(0, 0, 1), 'v2'), chunk('doc-a', 1, unit(0, 0, 0, 1), 'v2')];
        await ingest({ ...docA, title: 'New title', contentHash: 'hash-2' }, v2);
        const second = await store.getDocument('docs', 'doc-a');
        assert.equal(second?.contentHash, 'hash-2');
        assert.equal(second?.chunkCount, v2.length);
        assert.deepEqual(second?.createdAt, first?.createdAt);
        assert.equal(await store.countChunks('docs', 'doc-a'), v2.length);
        await eventually(async () => {
          // k = live chunk count: a leftover vector of v1 (nearer the query) would crowd one out.
          const hits = await store.search({ collection: 'docs', vector: query, k: v2.length });
          assert.deepEqual(hits.map((hit) => hit.chunkId), expectedOrder(query, v2));
          assert.ok(hits.every((hit) => hit.title === 'New title'));
        });
        assert.equal((await store.getCollection('docs'))?.chunkCount, v2.length);
      });

      it('when a job that had a resume point succeeds, should drop the resume point', async () => {
        const job = await store.createJob(newJob('docs', 'doc-a'));
        await store.saveResumePoint({ jobId: job.id, stage: 'EMBED', message: '{"retry":true}' });
        const outcome = await store.indexDocument({ jobId: job.id, document: docA, embedder: EMBEDDER, chunks: chunksA });
        assert.equal(outcome.kind, 'indexed');
        assert.equal(await store.getResumePoint(job.id), null);
      });

      it('when the same request is indexed twice, should skip the redelivery and leave the same rows', async () => {
        const request = await ingest(docA, chunksA);
        const before = await eventually(async () => {
          const hits = await store.search({ collection: 'docs', vector: query, k: 10 });
          assert.equal(hits.length, chunksA.length);
          return hits;
        });
        const job = await store.getJob(request.jobId);
        const again = await store.indexDocument(request);
        assert.equal(again.kind, 'skipped');
        assert.deepEqual(again.job, job);
        // A new job carrying identical content must converge on the same rows too.
        await ingest(docA, chunksA);
        assert.equal(await store.countChunks('docs', 'doc-a'), chunksA.length);
        assert.equal((await store.getCollection('docs'))?.chunkCount, chunksA.length);
        const after = await store.search({ collection: 'docs', vector: query, k: 10 });
        assert.deepEqual(after, before);
      });

      it('when the job was cancelled, should skip indexing and write nothing', async () => {
        const job = await store.createJob(newJob('docs', 'doc-a'));
        const cancelled = await store.updateJob(job.id, { status: 'CANCELLED' });
        const outcome = await store.indexDocument({ jobId: job.id, document: docA, embedder: EMBEDDER, chunks: chunksA });
        assert.equal(outcome.kind, 'skipped');
        assert.deepEqual(outcome.job, cancelled);
        assert.deepEqual(await store.getJob(job.id), cancelled);
        assert.equal(await store.getDocument('docs', 'doc-a'), null);
        assert.equal(await store.countChunks('docs', 'doc-a'), 0);
        assert.equal(await store.getCollection('docs'), null);
      });

      it('when a different embedder writes or queries the collection, should throw EmbedderMismatchError', async () => {
        await ingest(docA, chunksA);
        for (const other of [{ name: 'other-model', dimension: DIMENSION }, { name: EMBEDDER.name, dimension: 4 }]) {
          const job = await store.createJob(newJob('docs', 'doc-b'));
          const chunks = [{ ...chunksB[0]!, vector: new Float32Array(other.dimension).fill(0.5) }];
          await assert.rejects(
            store.indexDocument({ jobId: job.id, document: docB, embedder: other, chunks }),
            (error: unknown) => error instanceof EmbedderMismatchError && error.collection === 'docs',
          );
          assert.equal((await store.getJob(job.id))?.status, 'QUEUED');
        }
        assert.equal(await store.getDocument('docs', 'doc-b'), null);
        assert.deepEqual((await store.getCollection('docs'))?.embedder, EMBEDDER);
        await assert.rejects(
          store.search({ collection: 'docs', vector: new Float32Array(4).fill(0.5), k: 3 }),
          EmbedderMismatchError,
        );
      });
    });

    describe('listing documents and collections', () => {
      const ids = ['file:/docs/a.md', 'file:/docs/b.md', 'file:/docs_old/c.md', 'file:/docs/sub/d.md', 'file:/do.s/e.md', 'z-last'];

      async function fill(collection: string): Promise<void> {
        for (const [i, id] of ids.entries()) await ingest(documentVersion(id, collection), [chunk(`${collection}-${i}`, 0, unit(1, i))]);
      }

      it('when paging, should give each of the collection\'s documents once, id ascending, and no other collection\'s', async () => {
        await fill('docs');
        await ingest(documentVersion('file:/docs/other.md', 'other'), [chunk('other-doc', 0, unit(0, 1))]);
        const seen: string[] = [];
        let afterId: string | undefined;
        for (;;) {
          const page = await store.listDocuments({ collection: 'docs', first: 4, ...(afterId === undefined ? {} : { afterId }) });
          seen.push(...page.documents.map((document) => document.id));
          assert.ok(page.documents.every((document) => document.collection === 'docs'));
          if (!page.hasNextPage) break;
          afterId = page.documents.at(-1)!.id;
        }
        assert.deepEqual(seen, [...ids].sort());
        const whole = await store.listDocuments({ collection: 'docs', first: ids.length });
        assert.equal(whole.hasNextPage, false);
        assert.deepEqual(whole.documents[0], await store.getDocument('docs', whole.documents[0]!.id));
        assert.deepEqual(await store.listDocuments({ collection: 'nope', first: 5 }), { documents: [], hasNextPage: false });
      });

      it('when an id prefix is given, should list only ids starting with it, its characters taken literally', async () => {
        await fill('docs');
        const list = async (idPrefix: string, first = 10, afterId?: string) =>
          (await store.listDocuments({ collection: 'docs', first, idPrefix, ...(afterId === undefined ? {} : { afterId }) })).documents.map((document) => document.id);
        assert.deepEqual(await list('file:/docs/'), ['file:/docs/a.md', 'file:/docs/b.md', 'file:/docs/sub/d.md']);
        // `.` is not a wildcard and `_` not a single character: 'file:/do.s/' matches only itself.
        assert.deepEqual(await list('file:/do.s/'), ['file:/do.s/e.md']);
        assert.deepEqual(await list('file:/docs_'), ['file:/docs_old/c.md']);
        assert.deepEqual(await list('file:/docs/', 1, 'file:/docs/a.md'), ['file:/docs/b.md']);
        assert.deepEqual(await list('nothing-starts-so'), []);
      });

      it('when collections are listed, should name those registered, sorted, within the names given', async () => {
        await ingest(documentVersion('x', 'beta'), [chunk('beta-x', 0, unit(1))]);
        await ingest(documentVersion('x', 'alpha'), [chunk('alpha-x', 0, unit(1))]);
        assert.deepEqual(await store.listCollections(), ['alpha', 'beta']);
        assert.deepEqual(await store.listCollections(['beta', 'unknown']), ['beta']);
        assert.deepEqual(await store.listCollections([]), []);
        await store.deleteCollection('alpha');
        assert.deepEqual(await store.listCollections(), ['beta']);
      });
    });

    describe('a document found unchanged (finishUnchanged)', () => {
      const fingerprint = 'fingerprint-1';
      const doc = { ...documentVersion('doc-u', 'docs'), fingerprint };
      const chunks = [chunk('doc-u', 0, unit(1, 0)), chunk('doc-u', 1, unit(0, 1))];

      /** A job for the document, started at the parse stage as the parse actor's start leaves it. */
      async function parsingJob(collection = 'docs', documentId = 'doc-u'): Promise<Job> {
        const job = await store.createJob(newJob(collection, documentId));
        return (await store.updateJob(job.id, { status: 'RUNNING', stage: 'PARSE', attempts: 1, progress: 0.05 }))!;
      }

      it('when a document is indexed with a fingerprint, should keep it; without one, null', async () => {
        await ingest(doc, chunks);
        assert.equal((await store.getDocument('docs', 'doc-u'))?.fingerprint, fingerprint);
        await ingest(documentVersion('doc-plain', 'docs'), [chunk('doc-plain', 0, unit(1, 1))]);
        assert.equal((await store.getDocument('docs', 'doc-plain'))?.fingerprint, null);
      });

      it('when the document is indexed with that fingerprint, should end the job SUCCEEDED at PARSE with its chunk count, and write nothing else', async () => {
        const indexed = await ingest(doc, chunks);
        const documentBefore = await store.getDocument('docs', 'doc-u');
        const job = await parsingJob();
        await store.saveResumePoint({ jobId: job.id, stage: 'PARSE', message: '{"retry":true}' });
        const outcome = await store.finishUnchanged(job.id, fingerprint);
        assert.equal(outcome.kind, 'unchanged');
        const stored = await store.getJob(job.id);
        assert.deepEqual(outcome.kind === 'unchanged' ? outcome.job : null, stored);
        assert.equal(stored?.status, 'SUCCEEDED');
        assert.equal(stored?.stage, 'PARSE');
        assert.equal(stored?.progress, 1);
        assert.equal(stored?.chunkCount, chunks.length);
        assert.equal(stored?.seq, job.seq + 1);
        assert.ok(stored?.finishedAt instanceof Date);
        assert.equal(await store.getResumePoint(job.id), null);
        assert.deepEqual(await store.getDocument('docs', 'doc-u'), documentBefore);
        assert.equal(await store.countChunks('docs', 'doc-u'), chunks.length);
        assert.equal((await store.getJob(indexed.jobId))?.status, 'SUCCEEDED');
      });

      it('when the document is new, changed, deleted or indexed without a fingerprint, should answer changed and leave the job running', async () => {
        const job = await parsingJob();
        assert.deepEqual(await store.finishUnchanged(job.id, fingerprint), { kind: 'changed' });
        await ingest(doc, chunks);
        assert.deepEqual(await store.finishUnchanged(job.id, 'fingerprint-2'), { kind: 'changed' });
        await store.deleteDocument('docs', 'doc-u');
        assert.deepEqual(await store.finishUnchanged(job.id, fingerprint), { kind: 'changed' });
        await ingest({ ...doc, fingerprint: null }, chunks);
        assert.deepEqual(await store.finishUnchanged(job.id, fingerprint), { kind: 'changed' });
        assert.deepEqual(await store.getJob(job.id), job);
      });

      it("when another collection holds the same document id with that fingerprint, should answer changed: a job's document is its own collection's", async () => {
        await ingest({ ...doc, collection: 'other' }, chunks);
        const job = await parsingJob('docs', 'doc-u');
        assert.deepEqual(await store.finishUnchanged(job.id, fingerprint), { kind: 'changed' });
        assert.deepEqual(await store.getJob(job.id), job);
      });

      it('when the job is finished already (cancelled), should answer finished and change nothing', async () => {
        await ingest(doc, chunks);
        const job = await parsingJob();
        const cancelled = await store.updateJob(job.id, { status: 'CANCELLED' });
        assert.deepEqual(await store.finishUnchanged(job.id, fingerprint), { kind: 'finished', job: cancelled });
        assert.deepEqual(await store.getJob(job.id), cancelled);
      });

      it('when the job is unknown, should throw naming it', async () => {
        await assert.rejects(store.finishUnchanged('job-unknown', fingerprint), /job-unknown/);
      });
    });

    describe('a document belongs to its collection', () => {
      const query = unit(1, 0.2);
      // The same document id and the same chunk ids in two collections: two unrelated documents.
      const inDocs = documentVersion('shared-id', 'docs', { owner: 'docs' }, 'hash-docs');
      const inOther = documentVersion('shared-id', 'other', { owner: 'other' }, 'hash-other');
      const docsChunks = [chunk('shared-id', 0, unit(1, 0, 0)), chunk('shared-id', 1, unit(0, 1, 0))];
      const otherChunks = [chunk('shared-id', 0, unit(0, 0, 1))];

      it('when the same document id is indexed in two collections, should keep two documents, each with its own chunks', async () => {
        await ingest(inDocs, docsChunks);
        const before = await store.getDocument('docs', 'shared-id');
        await ingest(inOther, otherChunks);
        assert.deepEqual(await store.getDocument('docs', 'shared-id'), before);
        const other = await store.getDocument('other', 'shared-id');
        assert.equal(other?.collection, 'other');
        assert.deepEqual(other?.metadata, { owner: 'other' });
        assert.equal(other?.contentHash, 'hash-other');
        assert.equal(await store.countChunks('docs', 'shared-id'), docsChunks.length);
        assert.equal(await store.countChunks('other', 'shared-id'), otherChunks.length);
        assert.equal(await store.getDocument('third', 'shared-id'), null);
        assert.equal((await store.getCollection('docs'))?.documentCount, 1);
        assert.equal((await store.getCollection('other'))?.chunkCount, otherChunks.length);
        await eventually(async () => {
          const docs = await store.search({ collection: 'docs', vector: query, k: 10 });
          assert.deepEqual(docs.map((hit) => hit.chunkId), expectedOrder(query, docsChunks));
          assert.ok(docs.every((hit) => hit.metadata.owner === 'docs'));
          const others = await store.search({ collection: 'other', vector: query, k: 10 });
          assert.deepEqual(others.map((hit) => hit.chunkId), expectedOrder(query, otherChunks));
          assert.ok(others.every((hit) => hit.metadata.owner === 'other'));
        });
      });

      it('when one collection re-indexes or deletes the id, should leave the other collection\'s document untouched', async () => {
        await ingest(inDocs, docsChunks);
        await ingest(inOther, otherChunks);
        const kept = await store.getDocument('docs', 'shared-id');
        await ingest({ ...inOther, contentHash: 'hash-other-2' }, [chunk('shared-id', 0, unit(1, 1, 1), 'v2')]);
        assert.deepEqual(await store.getDocument('docs', 'shared-id'), kept);
        assert.equal(await store.countChunks('docs', 'shared-id'), docsChunks.length);
        assert.equal(await store.deleteDocument('other', 'shared-id'), true);
        assert.equal(await store.deleteDocument('other', 'shared-id'), false);
        assert.equal(await store.getDocument('other', 'shared-id'), null);
        assert.deepEqual(await store.getDocument('docs', 'shared-id'), kept);
        assert.equal(await store.countChunks('docs', 'shared-id'), docsChunks.length);
        await eventually(async () => {
          const docs = await store.search({ collection: 'docs', vector: query, k: 10 });
          assert.deepEqual(docs.map((hit) => hit.chunkId), expectedOrder(query, docsChunks));
          assert.deepEqual(await store.search({ collection: 'other', vector: query, k: 10 }), []);
        });
      });

      it('when an index request names another collection or document than its job, should refuse it and write nothing', async () => {
        await ingest(inDocs, docsChunks);
        const kept = await store.getDocument('docs', 'shared-id');
        const job = await store.createJob(newJob('other', 'shared-id'));
        for (const document of [{ ...inDocs, contentHash: 'takeover' }, { ...inOther, id: 'not-the-jobs-document' }]) {
          await assert.rejects(
            store.indexDocument({ jobId: job.id, document, embedder: EMBEDDER, chunks: otherChunks }),
            (error: unknown) => error instanceof JobDocumentMismatchError && error.jobId === job.id,
          );
        }
        assert.equal((await store.getJob(job.id))?.status, 'QUEUED');
        assert.deepEqual(await store.getDocument('docs', 'shared-id'), kept);
        assert.equal(await store.countChunks('docs', 'shared-id'), docsChunks.length);
        assert.equal(await store.getDocument('other', 'shared-id'), null);
        assert.equal(await store.getDocument('other', 'not-the-jobs-document'), null);
      });
    });

    describeSearchModes(() => store, ingest, features.lexical ?? true);

    describe('search with a metadata filter', () => {
      const query = unit(1);
      // Vectors ordered from nearest to farthest from the query; metadata decides what a filter admits.
      const near = { doc: documentVersion('near', 'docs', { lang: 'en', year: 2024, draft: true, reviewer: null }), vector: unit(1, 0.1) };
      const mid = { doc: documentVersion('mid', 'docs', { lang: 'en', year: '2024', draft: 'true', reviewer: 'ann' }), vector: unit(1, 1) };
      const far = { doc: documentVersion('far', 'docs', { lang: 'de', year: 2023, draft: false, nested: { tag: 'x' } }), vector: unit(0, 1, 1) };
      const farthest = { doc: documentVersion('farthest', 'docs', { lang: 'fr', year: 2024.5, draft: 1 }), vector: unit(-1, 0.2) };
      const all = [near, mid, far, farthest];

      async function seed(): Promise<void> {
        for (const entry of all) await ingest(entry.doc, [chunk(entry.doc.id, 0, entry.vector)]);
      }

      async function filtered(filter: Record<string, string | number | boolean | null>, k = 1): Promise<SearchHit[]> {
        return store.search({ collection: 'docs', vector: query, k, filter });
      }

      /** Ids of `entries` ordered by cosine similarity to the query, nearest first. */
      function expectedIds(entries: readonly (typeof all)[number][]): string[] {
        return [...entries].sort((a, b) => cosine(query, b.vector) - cosine(query, a.vector)).map((entry) => entry.doc.id);
      }

      /** Documents whose own metadata equal every filter value (JSON types compared strictly). */
      function matching(filter: Record<string, unknown>): string[] {
        return all
          .filter((entry) => Object.entries(filter).every(([key, value]) => entry.doc.metadata[key] === value))
          .map((entry) => entry.doc.id);
      }

      it('when the filter matches only a far chunk, should still return it', async () => {
        await seed();
        await eventually(async () => {
          assert.deepEqual((await filtered({ lang: 'de' })).map((hit) => hit.documentId), ['far']);
          assert.deepEqual((await filtered({ lang: 'fr' })).map((hit) => hit.documentId), ['farthest']);
        });
      });

      it('when filtering on strings, numbers and booleans, should match the JSON type exactly', async () => {
        await seed();
        const cases: Record<string, string | number | boolean | null>[] = [
          { lang: 'en' }, { year: 2024 }, { year: '2024' }, { year: 2024.5 }, { draft: true }, { draft: false },
          { draft: 'true' }, { draft: 1 }, { lang: 'en', year: 2024 }, { lang: 'de', draft: true }, { reviewer: 'ann' },
        ];
        await eventually(async () => {
          for (const filter of cases) {
            const hits = await filtered(filter, 10);
            const expected = all
              .filter((entry) => matching(filter).includes(entry.doc.id))
              .map((entry) => ({ id: entry.doc.id, score: cosine(query, entry.vector) }))
              .sort((a, b) => b.score - a.score)
              .map((entry) => entry.id);
            assert.deepEqual(hits.map((hit) => hit.documentId), expected, JSON.stringify(filter));
          }
        });
      });

      it('when filtering on a null value or a nested key, should match those documents', async () => {
        await seed();
        await eventually(async () => {
          assert.ok((await filtered({ reviewer: null }, 10)).some((hit) => hit.documentId === 'near'));
          assert.ok(!(await filtered({ reviewer: null }, 10)).some((hit) => hit.documentId === 'mid'));
          assert.deepEqual((await filtered({ 'nested.tag': 'x' }, 10)).map((hit) => hit.documentId), ['far']);
        });
      });

      it('when filtering on null, should match documents without the field as well as an explicit null', async () => {
        await seed();
        // near holds reviewer: null, mid holds "ann", far and farthest have no reviewer at all.
        const withoutAnn = all.filter((entry) => entry.doc.id !== 'mid');
        await eventually(async () => {
          assert.deepEqual((await filtered({ reviewer: null }, 10)).map((hit) => hit.documentId), expectedIds(withoutAnn));
          // Combined with another condition, null still admits the documents lacking the field.
          assert.deepEqual((await filtered({ reviewer: null, lang: 'de' }, 10)).map((hit) => hit.documentId), ['far']);
          assert.deepEqual((await filtered({ 'nested.tag': null, lang: 'en' }, 10)).map((hit) => hit.documentId),
            expectedIds(all.filter((entry) => entry.doc.metadata.lang === 'en')));
        });
      });

      it('when a filter key holds characters outside [A-Za-z0-9_.-], should reject naming the key', async () => {
        await seed();
        await assert.rejects(filtered({ "lang') OR 1=1 --": 'en' }), /lang'\) OR 1=1 --/);
      });
    });

    describe('deletion', () => {
      const near = unit(1, 0.1);
      const far = unit(0.1, 1);

      it('when listing jobs of one document, should return only that document\'s jobs in that collection', async () => {
        const mine = await store.createJob(newJob('docs', 'doc-1'));
        await store.createJob(newJob('docs', 'doc-2'));
        await store.createJob(newJob('elsewhere', 'doc-1'));
        const page = await store.listJobs({ first: 10, collection: 'docs', documentId: 'doc-1' });
        assert.deepEqual(page.jobs.map(({ job }) => job.id), [mine.id]);
      });

      it('when a document is deleted, should remove it, its chunks and its vectors and leave the others', async () => {
        await ingest(documentVersion('gone', 'docs'), [chunk('gone', 0, near), chunk('gone', 1, near)]);
        const kept = await ingest(documentVersion('kept', 'docs'), [chunk('kept', 0, far)]);
        assert.equal(await store.deleteDocument('docs', 'gone'), true);
        assert.equal(await store.getDocument('docs', 'gone'), null);
        assert.equal(await store.countChunks('docs', 'gone'), 0);
        assert.ok(await store.getDocument('docs', 'kept'));
        await eventually(async () => {
          const hits = await store.search({ collection: 'docs', vector: near, k: 10 });
          assert.deepEqual(hits.map((hit) => hit.chunkId), kept.chunks.map((c) => c.id));
        });
        assert.equal((await store.getCollection('docs'))?.documentCount, 1);
      });

      it('when an unknown document is deleted, should return false', async () => {
        assert.equal(await store.deleteDocument('docs', 'no-such-document'), false);
      });

      it('when a collection is deleted, should remove its documents and embedder and leave other collections', async () => {
        await ingest(documentVersion('a1', 'old'), [chunk('a1', 0, near)]);
        await ingest(documentVersion('a2', 'old'), [chunk('a2', 0, far)]);
        const other = await ingest(documentVersion('b1', 'other'), [chunk('b1', 0, near)]);
        assert.equal(await store.deleteCollection('old'), 2);
        assert.equal(await store.getCollection('old'), null);
        assert.equal(await store.getDocument('old', 'a1'), null);
        assert.equal(await store.countChunks('old', 'a2'), 0);
        assert.deepEqual(await store.search({ collection: 'old', vector: near, k: 5 }), []);
        await eventually(async () => {
          const hits = await store.search({ collection: 'other', vector: near, k: 5 });
          assert.deepEqual(hits.map((hit) => hit.chunkId), other.chunks.map((c) => c.id));
        });
        // The embedder registration went with it: the name may be reused with another dimension.
        const otherEmbedder = { name: 'other-embedder', dimension: 4 };
        await ingest(documentVersion('a3', 'old'), [{ ...chunk('a3', 0, near), vector: new Float32Array([1, 0, 0, 0]) }], otherEmbedder);
        assert.deepEqual((await store.getCollection('old'))?.embedder, otherEmbedder);
      });

      it('when documents are indexed into a collection while it is deleted, should leave each of them whole or gone, and the rest gone', async () => {
        for (let i = 0; i < 6; i++) await ingest(documentVersion(`d${i}`, 'busy'), [chunk(`d${i}`, 0, near), chunk(`d${i}`, 1, far)]);
        const deletion = store.deleteCollection('busy');
        const meanwhile = Promise.all([
          ingest(documentVersion('d0', 'busy', {}, 'hash-2'), [0, 1, 2].map((ordinal) => chunk('d0', ordinal, near, 'v2'))),
          ingest(documentVersion('d9', 'busy'), [chunk('d9', 0, near)]),
        ]);
        const [deleted] = await Promise.all([deletion, meanwhile]);
        assert.ok(deleted >= 5 && deleted <= 7, `deleted ${deleted}: d1–d5 at least`);
        for (let i = 1; i < 6; i++) assert.equal(await store.getDocument('busy', `d${i}`), null);
        let kept = 0;
        for (const [id, chunks] of [['d0', 3], ['d9', 1]] as const) {
          const document = await store.getDocument('busy', id);
          if (document === null) {
            assert.equal(await store.countChunks('busy', id), 0, `${id} gone with its chunks`);
          } else {
            kept += 1;
            assert.equal(document.contentHash, id === 'd0' ? 'hash-2' : 'hash-1', `${id} is the version written last`);
            assert.equal(await store.countChunks('busy', id), chunks, `${id} kept whole`);
          }
        }
        assert.equal((await store.getCollection('busy'))?.documentCount ?? 0, kept, 'the collection holds what was kept, and is known while it holds anything');
      });

      it('when an unknown collection is deleted, should return 0', async () => {
        assert.equal(await store.deleteCollection('no-such-collection'), 0);
      });

      it('when a job is cancelled before its document is deleted, should refuse its later index write', async () => {
        const job = await store.createJob(newJob('docs', 'late'));
        await store.updateJob(job.id, { status: 'CANCELLED', error: 'document deleted' });
        await store.deleteDocument('docs', 'late');
        const outcome = await store.indexDocument({ jobId: job.id, document: documentVersion('late', 'docs'), embedder: EMBEDDER, chunks: [chunk('late', 0, near)] });
        assert.equal(outcome.kind, 'skipped');
        assert.equal(await store.getDocument('docs', 'late'), null);
        assert.equal(await store.countChunks('docs', 'late'), 0);
      });
    });
  });
}
