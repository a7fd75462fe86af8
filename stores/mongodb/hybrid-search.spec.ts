/**
 * The LEXICAL and HYBRID pipelines the MongoDB store sends, checked without a server: the
 * `$search` with its filter clauses, the `$rankFusion` of `$search` and `$vectorSearch`, the hits
 * read back from `scoreDetails`, and the refusal naming the server version where `$rankFusion`
 * is missing.
 */
import assert from 'node:assert/strict';
import { MongoServerError } from 'mongodb';
import type { Collection, Document } from 'mongodb';
import {
  RankFusionUnsupportedError, assertRankFusion, hybridPipeline, lexicalPipeline, rankedHits, searchByText,
  searchFilterClauses, searchStage,
} from './hybrid-search.ts';
import type { HitRow, TextSearchContext, TextSearchRequest } from './hybrid-search.ts';
import { VectorIndexes } from './index-sync.ts';
import type { CollectionDocument } from './index-document.ts';
import { TEXT_INDEX, TextIndex, textIndexDefinition } from './text-index.ts';
import { vectorIndexDefinition, vectorIndexName } from './vector-index.ts';

const known = new Set(['metadata.lang', 'metadata.year', 'metadata.draft', 'metadata.reviewer']);

/** A chunks collection whose indexes are all READY and whose aggregate answers `rows` (or throws them). */
function fakeChunks(rows: HitRow[] | Error, indexes: Document[] = []) {
  const pipelines: Document[][] = [];
  const created: Document[] = [];
  const chunks = {
    listSearchIndexes: (name: string) => ({
      toArray: async () => [
        ...indexes.filter((index) => index.name === name),
        ...created.filter((index) => index.name === name).map((index) => ({ ...index, status: 'READY', queryable: true })),
      ],
    }),
    createSearchIndex: async (description: Document) => { created.push({ name: description.name, latestDefinition: description.definition }); },
    updateSearchIndex: async () => undefined,
    countDocuments: async () => 20_000,
    aggregate: (pipeline: Document[]) => ({
      toArray: async () => {
        pipelines.push(pipeline);
        if (rows instanceof Error) throw rows;
        return rows;
      },
    }),
  } as unknown as Collection<Document>;
  return { chunks, pipelines, created };
}

const registered: CollectionDocument = {
  _id: 'docs', embedderName: 'e', dimension: 8, filterPaths: [...known], createdAt: new Date(0),
};

function context(chunks: Collection<Document>, serverVersion: string | null = '8.2.6'): TextSearchContext {
  const options = { waitMs: 1_000, pollMs: 1 };
  return {
    chunks,
    vectorIndexes: new VectorIndexes(chunks, async () => [...known], { ...options, quantization: 'none' }),
    textIndex: new TextIndex(chunks, options),
    serverVersion,
    numCandidatesFactor: 20,
  };
}

const vectorIndex = { name: vectorIndexName(8), status: 'READY', queryable: true, latestDefinition: vectorIndexDefinition(8, known) };
const request: TextSearchRequest = {
  mode: 'HYBRID', collection: 'docs', registered, text: 'read a password', vector: new Float32Array(8).fill(0.1), k: 2, depth: 50,
  filter: { lang: 'en' },
};

const row = (chunkId: string, extra: Partial<HitRow> = {}): HitRow => ({
  chunkId, documentId: chunkId.split(':')[0]!, text: 't', ordinal: 0, title: null, metadata: { lang: 'en' }, score: 0.5, ...extra,
});

describe('MongoDB LEXICAL and HYBRID search (no server needed)', () => {
  it('when filtering, should send one equals clause per key and null as "equals null or no such field"', () => {
    assert.deepEqual(searchFilterClauses('docs', { lang: 'en', year: 2024, draft: true, reviewer: null, unseen: null }, known), [
      { equals: { path: 'collection', value: 'docs' } },
      { equals: { path: 'metadata.lang', value: 'en' } },
      { equals: { path: 'metadata.year', value: 2024 } },
      { equals: { path: 'metadata.draft', value: true } },
      {
        compound: {
          should: [{ equals: { path: 'metadata.reviewer', value: null } }, { compound: { mustNot: [{ exists: { path: 'metadata.reviewer' } }] } }],
          minimumShouldMatch: 1,
        },
      },
    ]);
  });

  it('when searching LEXICAL, should $search the words in text, heading and title within the filter, then cut to k', () => {
    const clauses = searchFilterClauses('docs', undefined, known);
    const pipeline = lexicalPipeline(searchStage('read a password', clauses), 3);
    assert.deepEqual(pipeline[0], {
      $search: {
        index: TEXT_INDEX,
        compound: { must: [{ text: { query: 'read a password', path: ['text', 'heading', 'title'] } }], filter: clauses },
      },
    });
    assert.deepEqual(pipeline[1], { $limit: 3 });
    assert.deepEqual(pipeline[2]!.$project.score, { $meta: 'searchScore' });
  });

  it('when searching HYBRID, should $rankFusion a $vectorSearch and a limited $search, equal weights, then cut to k', () => {
    const vector = { $vectorSearch: { index: 'rag_vectors_8', limit: 50 } };
    const search = searchStage('password', []);
    const [fusion, limit, project] = hybridPipeline(vector, search, 50, 5);
    assert.deepEqual(fusion, {
      $rankFusion: {
        input: { pipelines: { vector: [vector], lexical: [search, { $limit: 50 }] } },
        combination: { weights: { vector: 1, lexical: 1 } },
        scoreDetails: true,
      },
    });
    // Input pipelines may only select and rank: no $project inside them.
    for (const stages of Object.values(fusion!.$rankFusion.input.pipelines as Record<string, Document[]>)) {
      assert.ok(stages.every((stage) => ['$vectorSearch', '$search', '$limit'].includes(Object.keys(stage)[0]!)));
    }
    assert.deepEqual(limit, { $limit: 5 });
    assert.deepEqual([project!.$project.score, project!.$project.scoreDetails], [{ $meta: 'score' }, { $meta: 'scoreDetails' }]);
  });

  it('when HYBRID rows come back, should carry each pipeline\'s rank and score, cosine for the vector, none for rank 0', () => {
    const hits = rankedHits('HYBRID', [
      row('a:0', { score: 1 / 61 + 1 / 62, scoreDetails: { details: [
        { inputPipelineName: 'lexical', rank: 2, weight: 1, value: 3.5 },
        { inputPipelineName: 'vector', rank: 1, weight: 1, value: 0.9 },
      ] } }),
      row('b:0', { score: 1 / 61, scoreDetails: { details: [
        { inputPipelineName: 'lexical', rank: 1, weight: 1, value: 4 },
        { inputPipelineName: 'vector', rank: 0, weight: 1 },
      ] } }),
    ]);
    assert.deepEqual(hits.map((hit) => hit.signals.map(({ signal, rank }) => [signal, rank])), [[['VECTOR', 1], ['LEXICAL', 2]], [['LEXICAL', 1]]]);
    assert.ok(Math.abs(hits[0]!.signals[0]!.score - 0.8) < 1e-12);
    assert.equal(hits[0]!.score, 1 / 61 + 1 / 62);
    assert.ok(!('scoreDetails' in hits[0]!));
    assert.deepEqual(rankedHits('LEXICAL', [row('a:0', { score: 2 })])[0]!.signals, [{ signal: 'LEXICAL', rank: 1, score: 2 }]);
  });

  it('when the server is older than $rankFusion, should refuse HYBRID naming its version before sending anything', async () => {
    assert.throws(() => assertRankFusion('7.0.12'), (error: Error) =>
      error instanceof RankFusionUnsupportedError && /MongoDB 7\.0\.12/.test(error.message) && /8\.1/.test(error.message));
    for (const version of ['8.0.4', '8.1.0', '8.2.6', null]) assert.doesNotThrow(() => assertRankFusion(version));
    const { chunks, pipelines } = fakeChunks([], [vectorIndex]);
    await assert.rejects(searchByText(context(chunks, '7.0.12'), request), RankFusionUnsupportedError);
    assert.deepEqual(pipelines, []);
  });

  it('when the server refuses the $rankFusion stage, should answer with the same error naming the version', async () => {
    for (const refusal of [
      new MongoServerError({ code: 40324, errmsg: "Unrecognized pipeline stage name: '$rankFusion'" }),
      new MongoServerError({ code: 224, codeName: 'QueryFeatureNotAllowed', errmsg: '$rankFusion is not allowed in the current configuration' }),
    ]) {
      const { chunks } = fakeChunks(refusal, [vectorIndex]);
      await assert.rejects(searchByText(context(chunks, '8.0.3'), request), (error: Error) =>
        error instanceof RankFusionUnsupportedError && /8\.0\.3/.test(error.message) && error.cause === refusal);
    }
  });

  it('when searching HYBRID, should create the full-text index, read depth deep and fuse', async () => {
    const { chunks, pipelines, created } = fakeChunks([row('a:0', { scoreDetails: { details: [] } })], [vectorIndex]);
    const hits = await searchByText(context(chunks), request);
    assert.equal(hits.length, 1);
    assert.deepEqual(created, [{ name: TEXT_INDEX, latestDefinition: textIndexDefinition() }]);
    const fusion = pipelines[0]![0]!.$rankFusion;
    const vector = fusion.input.pipelines.vector[0].$vectorSearch;
    assert.equal(vector.limit, 50);
    assert.equal(vector.numCandidates, 1000); // 20 × depth; 20,000 candidates: approximate
    assert.deepEqual(vector.filter, { $and: [{ collection: { $eq: 'docs' } }, { 'metadata.lang': { $eq: 'en' } }] });
    assert.deepEqual(fusion.input.pipelines.lexical[1], { $limit: 50 });
    assert.deepEqual(pipelines[0]![1], { $limit: 2 });
  });

  it('when a LEXICAL filter names a key never seen, should answer nothing without a query; a bad key is refused', async () => {
    const { chunks, pipelines } = fakeChunks([row('a:0')]);
    assert.deepEqual(await searchByText(context(chunks), { ...request, mode: 'LEXICAL', filter: { colour: 'red' } }), []);
    await assert.rejects(searchByText(context(chunks), { ...request, mode: 'LEXICAL', filter: { 'a$b': 1 } }), /filter\.a\$b:/);
    assert.equal(pipelines.length, 0);
    const hits = await searchByText(context(chunks), { ...request, mode: 'LEXICAL' });
    assert.deepEqual(hits.map((hit) => hit.signals), [[{ signal: 'LEXICAL', rank: 1, score: 0.5 }]]);
    assert.equal(pipelines[0]![0]!.$search.index, TEXT_INDEX);
  });

  it('when the full-text index is defined, should stem English text and index metadata values as token, number and boolean', () => {
    const definition = textIndexDefinition();
    assert.equal(definition.mappings.dynamic, false);
    assert.equal(definition.mappings.fields.text.analyzer, 'lucene.english');
    assert.deepEqual(definition.mappings.fields.collection, { type: 'token' });
    const typeSet = definition.typeSets.find((set: Document) => set.name === definition.mappings.fields.metadata.dynamic.typeSet);
    assert.deepEqual(typeSet.types, [{ type: 'token' }, { type: 'number' }, { type: 'boolean' }]);
  });
});
