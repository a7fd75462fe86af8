/**
 * The store contract for search modes (issue 14): LEXICAL ranks by stemmed words, VECTOR by
 * cosine, HYBRID fuses both by weighted min-max scaled scores; k and filters mean the same in
 * every mode; a deleted or replaced chunk is never found by either index. A store without a lexical index yet
 * must refuse LEXICAL and HYBRID with an error naming itself.
 */
import assert from 'node:assert/strict';
import type { IndexedChunk, Metadata, SearchHit, SearchMode } from '../schema/domain.ts';
import { FUSION_WEIGHTS } from '../stores/rank-fusion.ts';
import type { DocumentVersion, IndexRequest, Store } from '../stores/store.ts';
import type { MetadataFilter } from '../schema/metadata-filter.ts';
import { cosine, DIMENSION, eventually, unit } from './support/contract-vectors.ts';

type Ingest = (document: DocumentVersion, chunks: readonly IndexedChunk[]) => Promise<IndexRequest>;

function page(id: string, metadata: Metadata): DocumentVersion {
  return { id, collection: 'modes', title: null, mimeType: 'text/plain', sourceUrl: null, metadata, contentHash: null };
}

const QUERY_TEXT = 'read a password without echo';
const QUERY_VECTOR = unit(1);

// Texts decide the lexical ranking, vectors the vector ranking; they disagree on purpose.
const PAGES = [
  { doc: page('getpass', { lang: 'en' }), text: 'getpass prompts for a password without echoing it', heading: 'Terminal > Prompts', vector: unit(0, 1) },
  { doc: page('readlines', { lang: 'en' }), text: 'read lines from a file one at a time', heading: null, vector: unit(1, 0.1) },
  { doc: page('socket', { lang: 'de' }), text: 'open a socket and send bytes', heading: 'Networking', vector: unit(1, 0.5) },
] as const;

function pageChunk(page: (typeof PAGES)[number], version = 'v1'): IndexedChunk {
  return { id: `${page.doc.id}:${version}:0`, ordinal: 0, text: page.text, heading: page.heading, vector: page.vector };
}

export function describeSearchModes(store: () => Store, ingest: Ingest, lexical: boolean): void {
  async function seed(): Promise<void> {
    for (const page of PAGES) await ingest(page.doc, [pageChunk(page)]);
    // A store whose full-text index follows its writes (Atlas Search) finds them a moment later.
    if (lexical) {
      await eventually(async () => assert.equal((await search('LEXICAL', 10, undefined, 'password lines socket')).length, PAGES.length));
    }
  }

  function search(mode: SearchMode, k = 10, filter?: MetadataFilter, text = QUERY_TEXT): Promise<SearchHit[]> {
    return store().search({ collection: 'modes', mode, text, vector: QUERY_VECTOR, k, ...(filter ? { filter } : {}) });
  }

  const ids = (hits: readonly SearchHit[]) => hits.map((hit) => hit.documentId);

  describe('search modes', () => {
    it('when searching in VECTOR mode, should mark every hit with its vector rank and cosine', async () => {
      await seed();
      await eventually(async () => {
        const hits = await search('VECTOR');
        const expected = [...PAGES].sort((a, b) => cosine(QUERY_VECTOR, b.vector) - cosine(QUERY_VECTOR, a.vector));
        assert.deepEqual(ids(hits), expected.map((page) => page.doc.id));
        hits.forEach((hit, index) => {
          assert.equal(hit.signals.length, 1);
          assert.equal(hit.signals[0]!.signal, 'VECTOR');
          assert.equal(hit.signals[0]!.rank, index + 1);
          assert.ok(Math.abs(hit.signals[0]!.score - hit.score) < 1e-9);
        });
      });
    });

    it('when the query vector has no direction (a text with no word), should find nothing by vector, in every mode', async () => {
      await seed();
      const none = new Float32Array(DIMENSION);
      const withoutDirection = (mode: SearchMode, text: string) => store().search({ collection: 'modes', mode, text, vector: none, k: 10 });
      assert.deepEqual(await withoutDirection('VECTOR', '-'), []);
      if (!lexical) return;
      assert.deepEqual(await withoutDirection('HYBRID', '-'), []);
      // HYBRID keeps its lexical ranking: only the page with the words, found by them alone.
      const hybrid = await withoutDirection('HYBRID', 'password');
      assert.deepEqual(ids(hybrid), ['getpass']);
      assert.deepEqual(hybrid[0]!.signals.map(({ signal, rank }) => [signal, rank]), [['LEXICAL', 1]]);
      assert.ok(Number.isFinite(hybrid[0]!.score));
    });

    if (!lexical) {
      for (const mode of ['LEXICAL', 'HYBRID'] as const) {
        it(`when searching in ${mode} mode, should refuse naming the store and the mode`, async () => {
          await seed();
          await assert.rejects(search(mode), (error: Error) => error.message.includes(mode) && /store/.test(error.message));
        });
      }
      return;
    }

    it('when searching in LEXICAL mode, should rank by stemmed words ("echo" finds "echoing") and skip chunks without them', async () => {
      await seed();
      const hits = await search('LEXICAL');
      assert.deepEqual(ids(hits), ['getpass', 'readlines']);
      assert.ok(hits[0]!.score > hits[1]!.score, 'higher score first');
      assert.deepEqual(hits.map((hit) => hit.signals.map(({ signal, rank }) => ({ signal, rank }))),
        [[{ signal: 'LEXICAL', rank: 1 }], [{ signal: 'LEXICAL', rank: 2 }]]);
      assert.deepEqual(ids(await search('LEXICAL', 10, undefined, 'echo')), ['getpass']);
      assert.equal(hits[0]!.text, PAGES[0].text);
      assert.deepEqual(hits[0]!.metadata, PAGES[0].doc.metadata);
    });

    it('when the query text holds FTS syntax or no word at all, should treat it as plain words', async () => {
      await seed();
      assert.deepEqual(ids(await search('LEXICAL', 10, undefined, 'password" OR NEAR(* -')), ['getpass']);
      assert.deepEqual(await search('LEXICAL', 10, undefined, '"*" () -'), []);
    });

    it('when searching in HYBRID mode, should fuse the weighted min-max scaled scores with both ranks on each hit', async () => {
      await seed();
      const [vector, lexicalHits, hybrid] = [await search('VECTOR'), await search('LEXICAL'), await search('HYBRID')];
      // Each ranking's scores scaled to 0..1 (best 1, last 0), weighted by signal, summed.
      const fused = new Map<string, number>();
      for (const [signal, hits] of [['VECTOR', vector], ['LEXICAL', lexicalHits]] as const) {
        const scores = hits.map((hit) => hit.score);
        const [max, min] = [Math.max(...scores), Math.min(...scores)];
        for (const hit of hits) {
          const scaled = max === min ? 1 : (hit.score - min) / (max - min);
          fused.set(hit.chunkId, (fused.get(hit.chunkId) ?? 0) + FUSION_WEIGHTS[signal] * scaled);
        }
      }
      const expected = [...fused.entries()].sort((a, b) => b[1] - a[1]).map(([chunkId]) => chunkId);
      assert.deepEqual(hybrid.map((hit) => hit.chunkId), expected);
      // getpass is 1st by words and last by vector; readlines 1st by vector and last by words.
      assert.deepEqual(ids(hybrid), ['getpass', 'readlines', 'socket']);
      assert.deepEqual(hybrid[0]!.signals.map(({ signal, rank }) => [signal, rank]), [['VECTOR', 3], ['LEXICAL', 1]]);
      assert.deepEqual(hybrid[2]!.signals.map(({ signal, rank }) => [signal, rank]), [['VECTOR', 2]]);
      for (const hit of hybrid) assert.ok(Math.abs(hit.score - fused.get(hit.chunkId)!) < 1e-12);
    });

    it('when a lexical weight is given, should weight the lexical ranking by it and the vector ranking by the rest', async () => {
      await seed();
      const weighted = (lexicalWeight: number) =>
        store().search({ collection: 'modes', mode: 'HYBRID', text: QUERY_TEXT, vector: QUERY_VECTOR, k: 10, lexicalWeight });
      // getpass is 1st by words and last by vector; readlines 1st by vector and last by words.
      assert.deepEqual(ids(await weighted(1)).slice(0, 2), ['getpass', 'readlines']);
      assert.equal((await weighted(1)).at(-1)!.score, 0, 'found by vector alone, it weighs nothing');
      assert.deepEqual(ids(await weighted(0))[0], 'readlines');
      await assert.rejects(weighted(1.5), /lexicalWeight: must be from 0 to 1, got 1\.5/);
      await assert.rejects(store().search({ collection: 'modes', mode: 'VECTOR', vector: QUERY_VECTOR, k: 10, lexicalWeight: 0.5 }), /lexicalWeight: applies to HYBRID only/);
    });

    it('when k and a filter are given, should return at most k hits that all match, in every mode', async () => {
      await seed();
      for (const mode of ['VECTOR', 'LEXICAL', 'HYBRID'] as const) {
        assert.equal((await search(mode, 1)).length, 1, mode);
        const english = await search(mode, 10, { lang: 'en' });
        assert.ok(english.length > 0 && english.every((hit) => hit.metadata.lang === 'en'), mode);
        assert.ok((await search(mode, 10, { lang: 'xx' })).length === 0, mode);
      }
      // The filter narrows each ranking before it is cut: the one German page is found by vector.
      assert.deepEqual(ids(await search('HYBRID', 1, { lang: 'de' })), ['socket']);
      assert.deepEqual(await search('LEXICAL', 1, { lang: 'de' }), []);
    });

    it('when chunks have section headings, should answer each hit with its chunk\u2019s heading in every mode', async () => {
      await seed();
      const headingOf = new Map<string, string | null>(PAGES.map((page) => [page.doc.id, page.heading]));
      for (const mode of ['VECTOR', 'LEXICAL', 'HYBRID'] as const) {
        const hits = await search(mode, 10, undefined, 'password lines socket');
        assert.equal(hits.length, PAGES.length, mode);
        assert.deepEqual(hits.map((hit) => [hit.documentId, hit.heading]), hits.map((hit) => [hit.documentId, headingOf.get(hit.documentId)]), mode);
      }
    });

    it('when a mode lacks its input, should reject naming it', async () => {
      await seed();
      await assert.rejects(store().search({ collection: 'modes', mode: 'LEXICAL', k: 3 }), /text/);
      await assert.rejects(store().search({ collection: 'modes', mode: 'HYBRID', text: 'password', k: 3 }), /vector/);
    });

    it('when a document is deleted or replaced, should never find its old chunks by words or by vector', async () => {
      await seed();
      assert.equal(await store().deleteDocument('modes', 'getpass'), true);
      await ingest(PAGES[1].doc, [{ ...pageChunk(PAGES[1], 'v2'), text: 'write records to a socket' }]);
      for (const mode of ['VECTOR', 'LEXICAL', 'HYBRID'] as const) {
        const hits = await search(mode);
        assert.ok(!hits.some((hit) => hit.documentId === 'getpass' || hit.chunkId === 'readlines:v1:0'), mode);
      }
      assert.deepEqual(await search('LEXICAL', 10, undefined, 'password echo read'), []);
      // The new version is found once the full-text index has it (at once in SQLite).
      await eventually(async () => assert.deepEqual(ids(await search('LEXICAL', 10, undefined, 'records')), ['readlines']));
      assert.equal(await store().deleteCollection('modes'), 2);
      assert.deepEqual(await search('HYBRID'), []);
    });
  });
}
