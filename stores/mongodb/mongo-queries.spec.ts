import assert from 'node:assert/strict';
import { MongoServerError } from 'mongodb';
import { patchUpdate } from './job-documents.ts';
import { metadataPaths, vectorSearchFilter } from './metadata-filter.ts';
import { isSearchUnsupported } from './search-support.ts';
import { definitionKey, vectorIndexDefinition } from './vector-index.ts';

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
    assert.throws(() => vectorSearchFilter('docs', { unknown: 'x', 'a$b': 1 }, new Set()), /"a\$b"/);
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
