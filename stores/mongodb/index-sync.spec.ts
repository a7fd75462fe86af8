/**
 * The search index commands the MongoDB store sends, checked without a server against a fake
 * `chunks` collection that answers `$listSearchIndexes` from a scripted list of states.
 */
import assert from 'node:assert/strict';
import { MongoServerError } from 'mongodb';
import type { Collection, Document } from 'mongodb';
import { VectorIndexes, servedPaths } from './index-sync.ts';
import type { SearchIndexInfo } from './index-sync.ts';
import { PROBE_INDEX, SearchNotSupportedError, assertSearchSupported, isSearchUnsupported } from './search-support.ts';
import {
  MAX_DIMENSIONS, VectorDimensionError, filterPaths, vectorIndexDefinition, vectorIndexName,
} from './vector-index.ts';

interface Call { readonly method: string; readonly args: readonly unknown[] }

/**
 * A chunks collection whose search index listing is `states[i]` on the i-th call (the last one
 * repeats); `create` and `update` are recorded. `failures` maps a method to the error it throws.
 */
function fakeChunks(states: (SearchIndexInfo | undefined)[], failures: Record<string, unknown> = {}) {
  const calls: Call[] = [];
  let listed = 0;
  const fail = (method: string) => { if (failures[method] !== undefined) throw failures[method]; };
  const collection = {
    listSearchIndexes: (...args: unknown[]) => ({
      toArray: async () => {
        calls.push({ method: 'listSearchIndexes', args });
        fail('listSearchIndexes');
        const state = states[Math.min(listed++, states.length - 1)];
        return state === undefined ? [] : [state];
      },
    }),
    aggregate: (...args: unknown[]) => ({
      toArray: async () => { calls.push({ method: 'aggregate', args }); fail('aggregate'); return []; },
    }),
    createSearchIndex: async (...args: unknown[]) => { calls.push({ method: 'createSearchIndex', args }); fail('createSearchIndex'); return 'x'; },
    updateSearchIndex: async (...args: unknown[]) => { calls.push({ method: 'updateSearchIndex', args }); fail('updateSearchIndex'); },
  };
  return { chunks: collection as unknown as Collection<Document>, calls };
}

const D = 8;
const NAME = vectorIndexName(D);
const options = { waitMs: 2_000, pollMs: 1, quantization: 'none' as const };

function index(status: string, paths: string[], extra: Partial<SearchIndexInfo> = {}): SearchIndexInfo {
  return { name: NAME, status, queryable: status !== 'PENDING' && status !== 'FAILED', latestDefinition: vectorIndexDefinition(D, paths), ...extra };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 10));
const methods = (calls: Call[]) => calls.map((call) => call.method);

describe('MongoDB vector index maintenance (no server needed)', () => {
  describe('search support at start', () => {
    it('when MongoDB 7 community refuses $listSearchIndexes with 6047401, should name Atlas Local and `atlas local`', async () => {
      const refusal = new MongoServerError({ code: 6047401, errmsg: '$listSearchIndexes stage is only allowed on MongoDB Atlas' });
      assert.equal(isSearchUnsupported(refusal), true);
      const { chunks } = fakeChunks([], { listSearchIndexes: refusal });
      await assert.rejects(assertSearchSupported(chunks, '7.0.12'), (error: Error) =>
        error instanceof SearchNotSupportedError && /MongoDB 7\.0\.12/.test(error.message) &&
        /atlas local setup/.test(error.message) && !/atlas deployments/.test(error.message));
    });

    it('when the list is empty (servers before 7.0.3 answer so), should probe $vectorSearch and refuse if it is unknown', async () => {
      const unknownStage = new MongoServerError({ code: 40324, errmsg: "Unrecognized pipeline stage name: '$vectorSearch'" });
      const { chunks, calls } = fakeChunks([undefined], { aggregate: unknownStage });
      await assert.rejects(assertSearchSupported(chunks, '7.0.1'), SearchNotSupportedError);
      const probe = calls.find((call) => call.method === 'aggregate')!.args[0] as Document[];
      assert.equal(probe[0]!.$vectorSearch.index, PROBE_INDEX);
    });

    it('when the list is empty on 7.0.3 or later, or indexes exist, should not probe; a probe answered otherwise passes', async () => {
      for (const version of ['7.0.3', '8.2.6']) {
        const empty = fakeChunks([undefined]);
        await assertSearchSupported(empty.chunks, version);
        assert.deepEqual(methods(empty.calls), ['listSearchIndexes'], version);
      }
      const listed = fakeChunks([index('READY', [])]);
      await assertSearchSupported(listed.chunks, '6.0.5');
      assert.deepEqual(methods(listed.calls), ['listSearchIndexes']);
      const odd = fakeChunks([undefined], { aggregate: new MongoServerError({ code: 8, errmsg: 'index not found' }) });
      await assertSearchSupported(odd.chunks, '7.0.2');
      assert.deepEqual(methods(odd.calls), ['listSearchIndexes', 'aggregate']);
    });
  });

  describe('index definitions', () => {
    it('when a dimension exceeds 8192, should refuse before any index is defined', () => {
      assert.throws(() => vectorIndexDefinition(MAX_DIMENSIONS + 1, []), (error: Error) =>
        error instanceof VectorDimensionError && /8192/.test(error.message) && /8193/.test(error.message));
      assert.doesNotThrow(() => vectorIndexDefinition(MAX_DIMENSIONS, []));
    });

    it('when binary quantization meets a dimension that is not a multiple of 8, should refuse naming both; scalar takes any', () => {
      assert.throws(() => vectorIndexDefinition(100, [], 'binary'), (error: Error) =>
        error instanceof VectorDimensionError && /100 is not a multiple of 8/.test(error.message) && /MONGODB_QUANTIZATION=binary/.test(error.message));
      assert.doesNotThrow(() => vectorIndexDefinition(104, [], 'binary'));
      assert.doesNotThrow(() => vectorIndexDefinition(100, [], 'scalar'));
    });

    it('when quantization is asked for, should set it on the vector field only', () => {
      const [vector, ...filters] = vectorIndexDefinition(D, ['metadata.a'], 'scalar').fields as Document[];
      assert.deepEqual(vector, { type: 'vector', path: 'embeddings.d8', numDimensions: 8, similarity: 'cosine', quantization: 'scalar' });
      assert.ok(filters.every((field) => field.quantization === undefined));
      assert.equal((vectorIndexDefinition(D, []).fields as Document[])[0]!.quantization, undefined);
    });

    it('when an index is READY or STALE, should serve its latest definition; while BUILDING, the old one', () => {
      assert.deepEqual([...servedPaths(index('STALE', ['metadata.a']))!].sort(), ['collection', 'documentId', 'metadata.a']);
      const building = index('BUILDING', ['metadata.a', 'metadata.b'], {
        statusDetail: [{ mainIndex: { queryable: true, definition: vectorIndexDefinition(D, ['metadata.a']) } }],
      });
      assert.deepEqual([...servedPaths(building)!].sort(), ['collection', 'documentId', 'metadata.a']);
      assert.deepEqual([...servedPaths(index('BUILDING', ['metadata.a']))!].sort(), ['collection', 'documentId']);
      assert.equal(servedPaths(index('PENDING', [])), null);
    });
  });

  describe('after an index write', () => {
    it('when the registry holds new paths, should submit them and return without waiting for the build', async () => {
      const { chunks, calls } = fakeChunks([index('BUILDING', ['metadata.a'])]);
      const indexes = new VectorIndexes(chunks, async () => ['metadata.a', 'metadata.b'], options);
      indexes.refresh(D); // returns at once: nothing to await
      await settle();
      assert.deepEqual(methods(calls), ['listSearchIndexes', 'updateSearchIndex']);
      assert.deepEqual([...filterPaths(calls[1]!.args[1] as Document)].sort(),
        ['collection', 'documentId', 'metadata.a', 'metadata.b']);
    });

    it('when another process declared paths this registry snapshot lacks, should update with the union', async () => {
      const { chunks, calls } = fakeChunks([index('READY', ['metadata.theirs'])]);
      const indexes = new VectorIndexes(chunks, async () => ['metadata.mine'], options);
      indexes.refresh(D);
      await settle();
      const update = calls.find((call) => call.method === 'updateSearchIndex')!;
      assert.equal(update.args[0], NAME);
      assert.deepEqual([...filterPaths(update.args[1] as Document)].sort(),
        ['collection', 'documentId', 'metadata.mine', 'metadata.theirs']);
    });

    it('when the live definition already holds every wanted path, should send no update', async () => {
      const { chunks, calls } = fakeChunks([index('READY', ['metadata.a', 'metadata.theirs'])]);
      new VectorIndexes(chunks, async () => ['metadata.a'], options).refresh(D);
      await settle();
      assert.deepEqual(methods(calls), ['listSearchIndexes']);
    });

    it('when no index exists, should create it; if another process won the race, merge into theirs', async () => {
      const fresh = fakeChunks([undefined]);
      new VectorIndexes(fresh.chunks, async () => ['metadata.a'], options).refresh(D);
      await settle();
      assert.deepEqual(methods(fresh.calls), ['listSearchIndexes', 'createSearchIndex']);
      assert.deepEqual(fresh.calls[1]!.args[0], { name: NAME, type: 'vectorSearch', definition: vectorIndexDefinition(D, ['metadata.a']) });

      const exists = new MongoServerError({ code: 68, codeName: 'IndexAlreadyExists', errmsg: 'Index already exists' });
      const raced = fakeChunks([undefined, index('BUILDING', ['metadata.theirs'])], { createSearchIndex: exists });
      new VectorIndexes(raced.chunks, async () => ['metadata.a'], options).refresh(D);
      await settle();
      assert.deepEqual(methods(raced.calls), ['listSearchIndexes', 'createSearchIndex', 'listSearchIndexes', 'updateSearchIndex']);
      assert.deepEqual([...filterPaths(raced.calls[3]!.args[1] as Document)].sort(),
        ['collection', 'documentId', 'metadata.a', 'metadata.theirs']);
    });
  });

  describe('before a search', () => {
    it('when the index is STALE but serves the filter paths, should not wait or update', async () => {
      const { chunks, calls } = fakeChunks([index('STALE', ['metadata.a'])]);
      const indexes = new VectorIndexes(chunks, async () => ['metadata.a'], options);
      await indexes.ready(D, ['metadata.a']);
      await indexes.ready(D, ['metadata.a']); // known served: no round trip at all
      assert.deepEqual(methods(calls), ['listSearchIndexes']);
    });

    it('when a rebuild runs but the filter uses only served paths, should search at once', async () => {
      const building = index('BUILDING', ['metadata.a', 'metadata.b'], {
        statusDetail: [{ mainIndex: { queryable: true, definition: vectorIndexDefinition(D, ['metadata.a']) } }],
      });
      const { chunks, calls } = fakeChunks([building]);
      await new VectorIndexes(chunks, async () => ['metadata.a', 'metadata.b'], options).ready(D, ['metadata.a']);
      assert.deepEqual(methods(calls), ['listSearchIndexes']);
    });

    it('when the filter uses a path no definition declares yet, should submit it and wait until it is served', async () => {
      const { chunks, calls } = fakeChunks([
        index('READY', []), // ready() sees the path missing
        index('READY', []), // apply() reads the live definition, then updates
        index('BUILDING', ['metadata.new']),
        index('READY', ['metadata.new']),
      ]);
      await new VectorIndexes(chunks, async () => ['metadata.new'], options).ready(D, ['metadata.new']);
      assert.deepEqual(methods(calls),
        ['listSearchIndexes', 'listSearchIndexes', 'updateSearchIndex', 'listSearchIndexes', 'listSearchIndexes']);
    });

    it('when the path never becomes served, should fail after the wait naming the path and the setting', async () => {
      const { chunks } = fakeChunks([index('BUILDING', ['metadata.new'])]);
      const indexes = new VectorIndexes(chunks, async () => ['metadata.new'], { ...options, waitMs: 20 });
      await assert.rejects(indexes.ready(D, ['metadata.new']), /metadata\.new.*MONGODB_INDEX_WAIT_MS/);
    });

    it('when the build FAILED, should say so with the server message', async () => {
      const { chunks } = fakeChunks([{ ...index('FAILED', []), message: 'bad definition' }]);
      await assert.rejects(new VectorIndexes(chunks, async () => [], options).ready(D, []), /failed to build.*bad definition/);
    });

    it('when an update FAILED but the previous definition still answers, should search on the paths it serves and fail only the others', async () => {
      const previous = vectorIndexDefinition(D, ['metadata.lang']);
      const failedUpdate = {
        ...index('FAILED', ['metadata.lang', 'metadata.bad']), queryable: true, message: 'bad definition',
        statusDetail: [{ mainIndex: { queryable: true, definition: previous } }],
      };
      const served = new VectorIndexes(fakeChunks([failedUpdate]).chunks, async () => ['metadata.lang'], options);
      await served.ready(D, ['metadata.lang']);
      const unserved = new VectorIndexes(fakeChunks([failedUpdate]).chunks, async () => ['metadata.lang', 'metadata.bad'], options);
      await assert.rejects(unserved.ready(D, ['metadata.bad']), /failed to build.*bad definition/);
    });
  });
});
