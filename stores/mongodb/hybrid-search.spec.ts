/**
 * The pipelines the MongoDB store sends per search mode, checked without a server: the `$search`
 * with its filter clauses, and HYBRID as a `$vectorSearch` and a `$search` read depth deep and
 * fused by the embedded store's own fusion (stores/rank-fusion.ts).
 */
import assert from 'node:assert/strict';
import type { Collection, Document } from 'mongodb';
import { fuseRankings, type RankedHit } from '../rank-fusion.ts';
import { lexicalPipeline, searchChunks, searchFilterClauses, searchStage } from './hybrid-search.ts';
import type { HitRow, SearchContext, SearchRequest } from './hybrid-search.ts';
import { VectorIndexes } from './index-sync.ts';
import type { CollectionDocument } from './index-document.ts';
import { TEXT_INDEX, TextIndex, textIndexDefinition } from './text-index.ts';
import { vectorIndexDefinition, vectorIndexName } from './vector-index.ts';

const known = new Set(['metadata.lang', 'metadata.year', 'metadata.draft', 'metadata.reviewer']);

/** A chunks collection whose indexes are all READY and whose aggregate answers `rows` (per pipeline when a function). */
function fakeChunks(rows: HitRow[] | ((pipeline: Document[]) => HitRow[]), indexes: Document[] = []) {
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
        return typeof rows === 'function' ? rows(pipeline) : rows;
      },
    }),
  } as unknown as Collection<Document>;
  return { chunks, pipelines, created };
}

const registered: CollectionDocument = {
  _id: 'docs', embedderName: 'e', dimension: 8, filterPaths: [...known], createdAt: new Date(0),
};

function context(chunks: Collection<Document>): SearchContext {
  const options = { waitMs: 1_000, pollMs: 1 };
  return {
    chunks,
    vectorIndexes: new VectorIndexes(chunks, async () => [...known], { ...options, quantization: 'none' }),
    textIndex: new TextIndex(chunks, options),
    numCandidatesFactor: 20,
  };
}

const vectorIndex = { name: vectorIndexName(8), status: 'READY', queryable: true, latestDefinition: vectorIndexDefinition(8, known) };
const request: SearchRequest = {
  mode: 'HYBRID', collection: 'docs', registered, text: 'read a password', vector: new Float32Array(8).fill(0.1), k: 2,
  filter: { lang: 'en' },
};

const row = (chunkId: string, extra: Partial<RankedHit> = {}): HitRow & RankedHit => ({
  chunkId, documentId: chunkId.split(':')[0]!, text: 't', ordinal: 0, title: null, heading: `Guide > ${chunkId}`,
  metadata: { lang: 'en' }, score: 0.5, ...extra,
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

  it('when HYBRID rankings come back, should fuse them as the embedded store does, vector scores as cosine', async () => {
    const vectorRows = [row('a:0', { score: 0.95 }), row('b:0', { score: 0.6 })];
    const lexicalRows = [row('b:0', { score: 4 }), row('c:0', { score: 1 })];
    const { chunks } = fakeChunks((pipeline) => ('$search' in pipeline[0]! ? lexicalRows : vectorRows), [vectorIndex]);
    const hits = await searchChunks(context(chunks), { ...request, k: 3 });
    const expected = fuseRankings([
      { signal: 'VECTOR', hits: [{ ...vectorRows[0]!, score: 0.9 }, { ...vectorRows[1]!, score: 0.2 }] },
      { signal: 'LEXICAL', hits: lexicalRows },
    ], 3);
    assert.deepEqual(hits.map((hit) => [hit.chunkId, hit.score]), expected.map((hit) => [hit.chunkId, hit.score]));
    const b = hits.find((hit) => hit.chunkId === 'b:0')!;
    assert.equal(b.heading, 'Guide > b:0');
    assert.deepEqual(b.signals.map(({ signal, rank }) => [signal, rank]), [['VECTOR', 2], ['LEXICAL', 1]]);
    assert.ok(Math.abs(b.signals[0]!.score - 0.2) < 1e-12);
  });

  it('when searching HYBRID, should create the full-text index and read both rankings depth deep within the filter', async () => {
    const { chunks, pipelines, created } = fakeChunks([row('a:0')], [vectorIndex]);
    const hits = await searchChunks(context(chunks), request);
    assert.equal(hits.length, 1);
    assert.deepEqual(created, [{ name: TEXT_INDEX, latestDefinition: textIndexDefinition() }]);
    const vectorPipeline = pipelines.find((pipeline) => '$vectorSearch' in pipeline[0]!)!;
    const lexical = pipelines.find((pipeline) => '$search' in pipeline[0]!)!;
    const vector = vectorPipeline[0]!.$vectorSearch;
    assert.equal(vector.limit, 50);
    assert.equal(vector.numCandidates, 1000); // 20 × depth; 20,000 candidates: approximate
    assert.deepEqual(vector.filter, { $and: [{ collection: { $eq: 'docs' } }, { 'metadata.lang': { $eq: 'en' } }] });
    assert.deepEqual(vectorPipeline[1]!.$project.score, { $meta: 'vectorSearchScore' });
    assert.deepEqual(lexical[1], { $limit: 50 });
    assert.deepEqual(lexical[0]!.$search.compound.filter, searchFilterClauses('docs', { lang: 'en' }, known));
  });

  it('when a chunk has a heading, should project it into its hit; a chunk stored without the field answers null', async () => {
    const { heading: _absent, ...withoutHeading } = row('b:0');
    const { chunks, pipelines } = fakeChunks([row('a:0'), withoutHeading], [vectorIndex]);
    const hits = await searchChunks(context(chunks), { ...request, mode: 'VECTOR' });
    assert.deepEqual(hits.map((hit) => [hit.chunkId, hit.heading]), [['a:0', 'Guide > a:0'], ['b:0', null]]);
    assert.equal(pipelines[0]!.at(-1)!.$project.heading, 1);
  });

  it('when a LEXICAL filter names a key never seen, should answer nothing without a query; a bad key is refused', async () => {
    const { chunks, pipelines } = fakeChunks([row('a:0')]);
    assert.deepEqual(await searchChunks(context(chunks), { ...request, mode: 'LEXICAL', filter: { colour: 'red' } }), []);
    await assert.rejects(searchChunks(context(chunks), { ...request, mode: 'LEXICAL', filter: { 'a$b': 1 } }), /filter\.a\$b:/);
    assert.equal(pipelines.length, 0);
    const hits = await searchChunks(context(chunks), { ...request, mode: 'LEXICAL' });
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
