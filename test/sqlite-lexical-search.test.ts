import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { indexTotals } from '../stores/sqlite/fts5-records.ts';
import { lexicalTableName } from '../stores/sqlite/migrations.ts';
import { openSqliteStore } from '../stores/sqlite/sqlite-store.ts';
import type { Store } from '../stores/store.ts';
import { indexTexts } from './support/scratch-sqlite.ts';

const EMBEDDER = { name: 'lexical-test', dimension: 2 };

function index(store: Store, collection: string, documentId: string, texts: string[], metadata: Record<string, string> = {}): Promise<void> {
  return indexTexts(store, EMBEDDER, collection, documentId, texts, metadata);
}

// Each collection has a lexical index of its own: another collection's chunks neither crowd its
// matches nor change its BM25 statistics.
describe('SqliteStore lexical index of each collection', () => {
  let dir: string;
  let store: Store;
  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'rag-lexical-own-'));
    store = openSqliteStore({ path: path.join(dir, 'rag.sqlite') });
    // 300 short chunks about otters: each would outscore the longer chunks below on "otter".
    await index(store, 'crowded', 'many', Array.from({ length: 300 }, (_, i) => `otter ${i}`));
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('when another collection holds hundreds of better matches, should return this collection\'s', async () => {
    await index(store, 'quiet', 'few', ['a long text that mentions an otter once among many other words', 'nothing here', 'one more otter in a long and wordy sentence']);
    const hits = await store.search({ collection: 'quiet', mode: 'LEXICAL', text: 'otter', k: 5 });
    assert.deepEqual(hits.map((hit) => hit.chunkId).sort(), ['few:0', 'few:2']);
  });

  it('when another collection gains or loses chunks, should score this collection\'s exactly as before', async () => {
    await index(store, 'quiet', 'few', ['a long text that mentions an otter once among many other words', 'nothing here', 'an otter and a heron']);
    const scores = async () => (await store.search({ collection: 'quiet', mode: 'LEXICAL', text: 'otter heron', k: 5 }))
      .map((hit) => `${hit.chunkId} ${hit.score}`);
    const before = await scores();
    assert.equal(before.length, 2);
    await index(store, 'crowded', 'herons', Array.from({ length: 50 }, (_, i) => `heron ${i} and otter`));
    assert.deepEqual(await scores(), before);
    await store.deleteCollection('crowded');
    assert.deepEqual(await scores(), before);
  });

  it('when a filter keeps only a weak match of a collection, should return it', async () => {
    await index(store, 'crowded', 'tagged', ['a long text that mentions an otter once among many other words'], { tag: 'wanted' });
    const hits = await store.search({ collection: 'crowded', mode: 'LEXICAL', text: 'otter', k: 3, filter: { tag: 'wanted' } });
    assert.deepEqual(hits.map((hit) => hit.chunkId), ['tagged:0']);
  });

  it('when documents are replaced and deleted, should count the index\'s rows as the collection\'s chunks', async () => {
    await index(store, 'crowded', 'many', ['otter one', 'otter two']);
    await index(store, 'crowded', 'other', ['a heron']);
    await store.deleteDocument('crowded', 'other');
    const db = new Database(path.join(dir, 'rag.sqlite'), { readonly: true });
    try {
      const id = db.prepare("SELECT id FROM collections WHERE name = 'crowded'").pluck().get() as number;
      const table = lexicalTableName(id);
      assert.equal(indexTotals(db, table).rows, 2);
    } finally {
      db.close();
    }
    // Scored as a collection that only ever held these chunks: what left the index left its statistics.
    await index(store, 'fresh', 'many', ['otter one', 'otter two']);
    const scores = async (collection: string) => (await store.search({ collection, mode: 'LEXICAL', text: 'otter one heron', k: 5 }))
      .map((hit) => `${hit.chunkId} ${hit.score}`);
    const fresh = await scores('fresh');
    assert.deepEqual(fresh.map((hit) => hit.split(' ')[0]), ['many:0', 'many:1']);
    assert.deepEqual(await scores('crowded'), fresh);
  });

  it('when a collection is deleted and made again, should drop its index and find only the new chunks', async () => {
    await store.deleteCollection('crowded');
    await index(store, 'crowded', 'again', ['a heron, not one otter']);
    const hits = await store.search({ collection: 'crowded', mode: 'LEXICAL', text: 'otter', k: 5 });
    assert.deepEqual(hits.map((hit) => hit.chunkId), ['again:0']);
    const db = new Database(path.join(dir, 'rag.sqlite'), { readonly: true });
    try {
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name GLOB 'fts_c*' AND name NOT GLOB 'fts_c*_*'").pluck().all();
      assert.deepEqual(tables, [lexicalTableName(db.prepare("SELECT id FROM collections WHERE name = 'crowded'").pluck().get() as number)]);
    } finally {
      db.close();
    }
  });
});

/** A seeded generator, so a failing case can be run again. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
}

// The ranking leaves the query's common words out of its first pass and proves from their caps
// (idf × (k1 + 1)) that no chunk holding only them can enter the top k; a cap set too low, or a
// pass that scores chunks over fewer words than the full query, gives a different answer here.
describe('SqliteStore lexical ranking that leaves common words out of its first pass', function () {
  this.timeout(60_000);
  const COMMON = ['river', 'stone', 'light', 'water'];
  const MIDDLE = Array.from({ length: 12 }, (_, i) => `meadow${i}`);
  const RARE = Array.from({ length: 40 }, (_, i) => `quartz${i}`);
  let dir: string;
  let store: Store;
  let reference: Database.Database;

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'rag-lexical-'));
    store = openSqliteStore({ path: path.join(dir, 'rag.sqlite') });
    const random = seeded(14);
    const pick = (words: readonly string[]) => words[Math.floor(random() * words.length)]!;
    const text = () => {
      const length = 2 + Math.floor(random() * 24);
      return Array.from({ length }, () => {
        const roll = random();
        return roll < 0.55 ? pick(COMMON) : roll < 0.85 ? pick(MIDDLE) : roll < 0.93 ? pick(RARE) : `filler${Math.floor(random() * 500)}`;
      }).join(' ');
    };
    for (const [collection, documents] of [['ranked', 12], ['neighbour', 4]] as const) {
      for (let d = 0; d < documents; d++) {
        // Some texts twice, so scores tie.
        const texts = Array.from({ length: 100 }, () => text());
        texts.push(...texts.slice(0, 10));
        await index(store, collection, `${collection}-${d}`, texts, { part: d % 3 === 0 ? 'first' : 'rest' });
      }
    }
    reference = new Database(path.join(dir, 'rag.sqlite'), { readonly: true });
  });
  after(async () => {
    reference.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Every match of the collection, scored by FTS5 over the whole query, best first, ties by id. */
  function fullRanking(collection: string, words: readonly string[], part?: string): { id: string; score: number }[] {
    const table = lexicalTableName(reference.prepare('SELECT id FROM collections WHERE name = ?').pluck().get(collection) as number);
    const rows = reference.prepare(
      `SELECT c.id, -bm25(${table}) AS score, json_extract(c.metadata, '$.part') AS part
       FROM ${table} JOIN chunks c ON c.rowid = ${table}.rowid
       WHERE ${table} MATCH ? AND c.collection = ? ORDER BY score DESC, c.id`,
    ).all([...new Set(words)].map((word) => `"${word}"`).join(' OR '), collection) as { id: string; score: number; part: string }[];
    return rows.filter((row) => part === undefined || row.part === part);
  }

  it('when queries mix common, middling and rare words, should return the scores and chunks of a full ranking', async () => {
    const random = seeded(15);
    const queries: string[][] = [
      ['river', 'stone', 'light', 'water'],
      ['river', 'quartz3'],
      ['quartz7', 'quartz8', 'water', 'light'],
      ['meadow1', 'river', 'stone'],
      ['quartz1'],
      ['nowhere', 'river'],
    ];
    for (let q = 0; q < 40; q++) {
      queries.push(Array.from({ length: 1 + Math.floor(random() * 5) }, () => {
        const roll = random();
        return roll < 0.4 ? COMMON[Math.floor(random() * COMMON.length)]! : roll < 0.7 ? MIDDLE[Math.floor(random() * MIDDLE.length)]! : RARE[Math.floor(random() * RARE.length)]!;
      }));
    }
    let compared = 0;
    // "neighbour" is smaller: a common word there is common in fewer chunks.
    for (const collection of ['ranked', 'neighbour']) for (const words of queries) {
      for (const k of [1, 5, 20, 50]) {
        for (const part of [undefined, 'first']) {
          const full = fullRanking(collection, words, part);
          const hits = await store.search({
            collection, mode: 'LEXICAL', text: words.join(' '), k, ...(part === undefined ? {} : { filter: { part } }),
          });
          const want = full.slice(0, k);
          const where = `${collection}: ${words.join(' ')} (k ${k}${part === undefined ? '' : ', filter'})`;
          assert.equal(hits.length, want.length, where);
          // Each pass sums a chunk's words in its own order, so equal scores may differ in the last
          // bits: a chunk may stand in for any whose full-ranking score is the same within rounding.
          const same = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));
          hits.forEach((hit, i) => {
            assert.ok(same(hit.score, want[i]!.score), `${where}: score at ${i + 1}`);
            assert.ok(full.some((row) => row.id === hit.chunkId && same(row.score, hit.score)), `${where}: chunk at ${i + 1}`);
          });
          assert.equal(new Set(hits.map((hit) => hit.chunkId)).size, hits.length, `${where}: no chunk twice`);
          compared++;
        }
      }
    }
    assert.equal(compared, 2 * queries.length * 8);
  });
});
