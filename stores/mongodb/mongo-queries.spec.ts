import assert from 'node:assert/strict';
import { MongoServerError } from 'mongodb';
import { patchUpdate } from './job-documents.ts';
import { metadataPaths, vectorSearchFilter } from './metadata-filter.ts';
import { isSearchUnsupported } from './search-support.ts';
import { definitionKey, vectorIndexDefinition } from './vector-index.ts';
import { EXACT_MAX_CANDIDATES, candidateQuery, preferExact, vectorSearchStage } from './vector-query.ts';
import type { Collection, Document } from 'mongodb';

/** A chunks collection whose countDocuments answers `answer` (or throws it) and records its arguments. */
function countingChunks(answer: number | Error): { chunks: Collection<Document>; counts: unknown[][] } {
  const counts: unknown[][] = [];
  const chunks = {
    countDocuments: async (...args: unknown[]) => {
      counts.push(args);
      if (answer instanceof Error) throw answer;
      return answer;
    },
  } as unknown as Collection<Document>;
  return { chunks, counts };
}

describe('MongoDB store queries (no server needed)', () => {
  it('when metadata nests objects, should declare a filter path for every scalar leaf and skip arrays', () => {
    const paths = metadataPaths({ lang: 'en', year: 2024, draft: true, reviewer: null, nested: { tag: 'x' }, tags: ['a'] });
    assert.deepEqual(paths.sort(), ['metadata.draft', 'metadata.lang', 'metadata.nested.tag', 'metadata.reviewer', 'metadata.year']);
  });

  it('when a filter uses known paths, should put every condition with the collection inside one $and', () => {
    const known = new Set(['metadata.lang', 'metadata.year']);
    assert.deepEqual(vectorSearchFilter('docs', { lang: 'en', year: 2024 }, known), {
      $and: [{ collection: { $eq: 'docs' } }, { 'metadata.lang': { $eq: 'en' } }, { 'metadata.year': { $eq: 2024 } }],
    });
    assert.deepEqual(vectorSearchFilter('docs', undefined, known), { collection: { $eq: 'docs' } });
  });

  it('when a filter asks for null, should match an explicit null or a missing field', () => {
    assert.deepEqual(vectorSearchFilter('docs', { reviewer: null }, new Set(['metadata.reviewer'])), {
      $and: [
        { collection: { $eq: 'docs' } },
        { $or: [{ 'metadata.reviewer': { $eq: null } }, { 'metadata.reviewer': { $exists: false } }] },
      ],
    });
  });

  it('when a filter key was never seen, should match nothing, or everything for null', () => {
    assert.equal(vectorSearchFilter('docs', { colour: 'red' }, new Set()), 'no-match');
    assert.deepEqual(vectorSearchFilter('docs', { colour: null }, new Set()), { collection: { $eq: 'docs' } });
  });

  it('when a filter key holds other characters, should reject naming it even if another key is unknown', () => {
    assert.throws(() => vectorSearchFilter('docs', { unknown: 'x', 'a$b': 1 }, new Set()), /^ContractError: filter\.a\$b:/);
    assert.throws(() => vectorSearchFilter('docs', { 'a..b': 1 }, new Set()), /filter\.a\.\.b:/);
  });

  it('when the definition is echoed with fields reordered, should compare equal', () => {
    const definition = vectorIndexDefinition(8, ['metadata.b', 'metadata.a']);
    const echoed = { fields: [...(definition.fields as object[])].reverse() };
    assert.equal(definitionKey(echoed), definitionKey(definition));
    assert.notEqual(definitionKey(vectorIndexDefinition(8, ['metadata.a'])), definitionKey(definition));
  });

  it('when the server lacks search support, should recognise its answers', () => {
    const notEnabled = new MongoServerError({ code: 31082, codeName: 'SearchNotEnabled', errmsg: 'Using Atlas Search requires additional configuration' });
    const unknownStage = new MongoServerError({ code: 40324, errmsg: "Unrecognized pipeline stage name: '$listSearchIndexes'" });
    const other = new MongoServerError({ code: 13, codeName: 'Unauthorized', errmsg: 'not authorized' });
    assert.equal(isSearchUnsupported(notEnabled), true);
    assert.equal(isSearchUnsupported(unknownStage), true);
    assert.equal(isSearchUnsupported(other), false);
  });

  it('when the search is exact, should send exact: true without numCandidates; otherwise numCandidates = factor × k', () => {
    const input = { dimension: 8, vector: new Float32Array(8).fill(0.5), k: 5, filter: { collection: { $eq: 'docs' } }, numCandidatesFactor: 20 };
    const exact = vectorSearchStage({ ...input, exact: true }).$vectorSearch;
    assert.equal(exact.exact, true);
    assert.ok(!('numCandidates' in exact));
    assert.deepEqual([exact.index, exact.path, exact.limit], ['rag_vectors_8', 'embeddings.d8', 5]);
    const approximate = vectorSearchStage({ ...input, exact: false }).$vectorSearch;
    assert.equal(approximate.numCandidates, 100);
    assert.ok(!('exact' in approximate));
    assert.equal(vectorSearchStage({ ...input, k: 1000, exact: false }).$vectorSearch.numCandidates, 10_000);
  });

  it('when at most 10,000 chunks can match, should prefer exact search, counting no further than one past the limit', async () => {
    const small = countingChunks(EXACT_MAX_CANDIDATES);
    assert.equal(await preferExact(small.chunks, 'docs', { lang: 'en', reviewer: null }), true);
    assert.deepEqual(small.counts[0]![0], { collection: 'docs', 'metadata.lang': 'en', 'metadata.reviewer': null });
    assert.equal((small.counts[0]![1] as { limit: number }).limit, EXACT_MAX_CANDIDATES + 1);
    assert.equal(await preferExact(countingChunks(EXACT_MAX_CANDIDATES + 1).chunks, 'docs', undefined), false);
    const slow = new MongoServerError({ code: 50, codeName: 'MaxTimeMSExpired', errmsg: 'operation exceeded time limit' });
    assert.equal(await preferExact(countingChunks(slow).chunks, 'docs', undefined), false);
    assert.deepEqual(candidateQuery('docs', undefined), { collection: 'docs' });
  });

  it('when a patch lowers progress, should raise with $max unless forced, and always bump seq', () => {
    const now = new Date(0);
    const plain = patchUpdate({ progress: 0.2, status: 'FAILED' }, now);
    assert.deepEqual(plain.$max, { progress: 0.2 });
    assert.deepEqual(plain.$inc, { seq: 1 });
    assert.equal((plain.$set as { finishedAt?: Date }).finishedAt, now);
    const forced = patchUpdate({ progress: 0.2, status: 'QUEUED', force: true }, now);
    assert.equal(forced.$max, undefined);
    assert.equal((forced.$set as { progress?: number }).progress, 0.2);
    assert.equal((forced.$set as { finishedAt?: Date | null }).finishedAt, null);
  });
});
