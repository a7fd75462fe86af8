import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Fts5Tokens } from '../stores/sqlite/fts5-tokens.ts';
import { LexicalPostings, REWARM_QUIET_MS } from '../stores/sqlite/lexical-postings.ts';
import { lexicalPhrases, searchLexical } from '../stores/sqlite/lexical-search.ts';
import { lexicalTableName } from '../stores/sqlite/migrations.ts';
import { openSqliteStore } from '../stores/sqlite/sqlite-store.ts';
import type { Store } from '../stores/store.ts';

const EMBEDDER = { name: 'postings-test', dimension: 2 };
const COMMON = ['river', 'stone', 'light', 'water'];
const MIDDLE = Array.from({ length: 8 }, (_, i) => `meadow${i}`);
const RARE = Array.from({ length: 30 }, (_, i) => `quartz${i}`);

/** A seeded generator, so a failing case can be run again. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
}

let jobs = 0;

async function index(store: Store, collection: string, documentId: string, texts: readonly string[], title: string | null = null, metadata: Record<string, unknown> = {}): Promise<void> {
  const jobId = `job-${collection}-${documentId}-${jobs++}`;
  await store.createJob({ id: jobId, collection, documentId, priority: 'NORMAL' });
  await store.indexDocument({
    jobId,
    document: { id: documentId, collection, title, mimeType: null, sourceUrl: null, metadata, contentHash: null },
    embedder: EMBEDDER,
    chunks: texts.map((text, ordinal) => ({ id: `${documentId}:${ordinal}`, ordinal, text, heading: ordinal % 3 === 0 ? 'Stone river notes' : null, vector: new Float32Array([1, ordinal]) })),
  });
}

// The postings kept between rankings (lexical-postings.ts) must give what FTS5's bm25 gives over
// the whole query, on the snapshot each ranking reads, whatever was written, replaced or deleted
// since the postings were read: each case compares every ranking with a full FTS5 ranking.
describe('Lexical postings kept between rankings', function () {
  this.timeout(120_000);
  let dir: string;
  let dbPath: string;
  let store: Store;
  let reader: Database.Database;
  const random = seeded(41);
  const pick = (words: readonly string[]) => words[Math.floor(random() * words.length)]!;
  const text = () => Array.from({ length: 2 + Math.floor(random() * 30) }, () => {
    const roll = random();
    return roll < 0.5 ? pick(COMMON) : roll < 0.8 ? pick(MIDDLE) : roll < 0.9 ? pick(RARE) : `Filler${Math.floor(random() * 300)}ing`;
  }).join(' ');
  const texts = (count: number) => Array.from({ length: count }, () => text());
  const queries: string[][] = [
    ['river', 'stone', 'light', 'water'], ['Rivers', 'quartz3'], ['quartz7', 'water', 'light'], ['meadow1', 'river', 'stone'],
    ['notes'], ['nowhere', 'river'], ['filler12ing', 'fillers'], ['river', 'rivers'],
  ];
  for (let q = 0; q < 16; q++) queries.push(Array.from({ length: 1 + Math.floor(random() * 5) }, () => pick(random() < 0.5 ? COMMON : random() < 0.5 ? MIDDLE : RARE)));

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'rag-postings-'));
    dbPath = path.join(dir, 'rag.sqlite');
  });
  afterEach(async () => {
    reader?.close();
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function open(changeRetention?: number): void {
    store = openSqliteStore({ path: dbPath, searchThreads: false, ...(changeRetention === undefined ? {} : { changeRetention }) });
  }

  /** Every match of the collection scored by FTS5 over the whole query (its words as searches take them), best first, ties by id. */
  function fullRanking(collection: string, words: readonly string[]): { id: string; score: number }[] {
    const id = reader.prepare('SELECT id FROM collections WHERE name = ?').pluck().get(collection) as number | undefined;
    if (id === undefined) return [];
    const table = lexicalTableName(id);
    return reader.prepare(
      `SELECT c.id, -bm25(${table}) AS score FROM ${table} JOIN chunks c ON c.rowid = ${table}.rowid
       WHERE ${table} MATCH ? ORDER BY score DESC, c.id`,
    ).all(lexicalPhrases(words.join(' ')).join(' OR ')) as { id: string; score: number }[];
  }

  /** Ranks every query at several k through `postings` and checks each against the full ranking. */
  function compareAll(postings: LexicalPostings, collection: string, where: string): void {
    const row = reader.prepare('SELECT id, created_at FROM collections WHERE name = ?').get(collection) as { id: number; created_at: number };
    for (const words of queries) for (const k of [1, 5, 50]) {
      const hits = reader.transaction(() => searchLexical(reader, {
        collection, collectionRowId: row.id, collectionCreatedAt: row.created_at, text: words.join(' '), k,
      }, postings)).deferred();
      const want = fullRanking(collection, words).slice(0, k);
      const label = `${where}: ${words.join(' ')} (k ${k})`;
      assert.deepEqual(hits.map((hit) => hit.chunkId), want.map((hit) => hit.id), label);
      hits.forEach((hit, i) => assert.ok(Math.abs(hit.score - want[i]!.score) <= 1e-9 * Math.max(1, want[i]!.score), `${label}: score at ${i + 1}`));
    }
  }

  it('when documents are added, replaced and deleted between rankings, should rank each snapshot as FTS5 does', async () => {
    open();
    for (let d = 0; d < 6; d++) await index(store, 'kept', `doc-${d}`, texts(60), d % 2 === 0 ? 'River stones' : null);
    await index(store, 'other', 'beside', texts(40));
    reader = new Database(dbPath, { readonly: true });
    const postings = new LexicalPostings(reader);
    compareAll(postings, 'kept', 'first read');
    const kept = postings.keptBytes;
    assert.ok(kept > 0, 'postings are kept after the first rankings');
    await index(store, 'kept', 'doc-6', texts(30));
    compareAll(postings, 'kept', 'a document added');
    await index(store, 'kept', 'doc-2', texts(45));
    compareAll(postings, 'kept', 'a document replaced');
    await store.deleteDocument('kept', 'doc-4');
    compareAll(postings, 'kept', 'a document deleted');
    await index(store, 'other', 'more', texts(40));
    compareAll(postings, 'kept', 'another collection written');
    assert.ok(postings.keptBytes >= kept, 'the changes were applied to the kept postings, not read again from nothing');
  });

  it('when a ranking has a metadata filter, should rank the matching chunks as FTS5 does over them alone, for a broad filter and a narrow one', async () => {
    open();
    // Twelve documents of 40 chunks: "low" holds two in three, "top" one in three, doc-5 alone n = 5.
    for (let d = 0; d < 12; d++) await index(store, 'shelved', `doc-${d}`, texts(40), null, { shelf: d % 3 === 0 ? 'top' : 'low', n: d });
    reader = new Database(dbPath, { readonly: true });
    const postings = new LexicalPostings(reader);
    const row = reader.prepare("SELECT id, created_at FROM collections WHERE name = 'shelved'").get() as { id: number; created_at: number };
    const table = lexicalTableName(row.id);
    for (const [filter, where, value] of [[{ shelf: 'low' }, "json_extract(c.metadata, '$.shelf') = ?", 'low'], [{ shelf: 'top' }, "json_extract(c.metadata, '$.shelf') = ?", 'top'], [{ n: 5 }, "json_extract(c.metadata, '$.n') = ?", 5]] as const) {
      for (const words of queries) for (const k of [1, 5, 50]) {
        const hits = reader.transaction(() => searchLexical(reader, {
          collection: 'shelved', collectionRowId: row.id, collectionCreatedAt: row.created_at, text: words.join(' '), k, filter,
        }, postings)).deferred();
        const want = reader.prepare(
          `SELECT c.id FROM ${table} JOIN chunks c ON c.rowid = ${table}.rowid
           WHERE ${table} MATCH ? AND ${where} ORDER BY -bm25(${table}) DESC, c.id LIMIT ?`,
        ).pluck().all(lexicalPhrases(words.join(' ')).join(' OR '), value, k) as string[];
        assert.deepEqual(hits.map((hit) => hit.chunkId), want, `${JSON.stringify(filter)}: ${words.join(' ')} (k ${k})`);
      }
    }
  });

  it('when the query\'s words sit mostly outside the filter, should read the postings deeper and rank the matching chunks as FTS5 does', async () => {
    open();
    // "granite" fills every chunk off the shelf and appears once in each chunk on it, so the best
    // chunks by the postings are all off the shelf until the ranking has read past them.
    for (let d = 0; d < 20; d++) {
      const onShelf = d < 2;
      const chunks = Array.from({ length: 40 }, (_, c) => onShelf ? `granite ${text()} ${c}` : `granite granite granite quarry ${c}`);
      await index(store, 'deep', `doc-${d}`, chunks, null, { shelf: onShelf ? 'top' : 'low' });
    }
    reader = new Database(dbPath, { readonly: true });
    const postings = new LexicalPostings(reader);
    const row = reader.prepare("SELECT id, created_at FROM collections WHERE name = 'deep'").get() as { id: number; created_at: number };
    const table = lexicalTableName(row.id);
    for (const k of [1, 5, 20]) {
      const hits = reader.transaction(() => searchLexical(reader, {
        collection: 'deep', collectionRowId: row.id, collectionCreatedAt: row.created_at, text: 'granite', k, filter: { shelf: 'top' },
      }, postings)).deferred();
      const want = reader.prepare(
        `SELECT c.id FROM ${table} JOIN chunks c ON c.rowid = ${table}.rowid
         WHERE ${table} MATCH 'granite' AND json_extract(c.metadata, '$.shelf') = 'top' ORDER BY -bm25(${table}) DESC, c.id LIMIT ?`,
      ).pluck().all(k) as string[];
      assert.equal(want.length, k);
      assert.deepEqual(hits.map((hit) => hit.chunkId), want, `k ${k}`);
    }
  });

  it('when a deleted chunk\'s row id is used again by a new chunk, should score the new chunk and not the old', async () => {
    open();
    await index(store, 'kept', 'first', texts(50));
    await index(store, 'kept', 'last', ['quartz1 quartz1 quartz1 river', 'quartz2 meadow1']);
    reader = new Database(dbPath, { readonly: true });
    const postings = new LexicalPostings(reader);
    compareAll(postings, 'kept', 'before');
    const lastRowids = reader.prepare("SELECT rowid FROM chunks WHERE document_id = 'last' ORDER BY rowid").pluck().all();
    await store.deleteDocument('kept', 'last');
    await index(store, 'kept', 'again', ['stone light', 'water water quartz2']);
    // SQLite gives the next chunks the highest row id plus one: the ones just deleted.
    assert.deepEqual(reader.prepare("SELECT rowid FROM chunks WHERE document_id = 'again' ORDER BY rowid").pluck().all(), lastRowids);
    compareAll(postings, 'kept', 'row ids used again');
  });

  it('when the postings budget is smaller than one word\'s postings, should rank as FTS5 does and keep no more than the budget', async () => {
    open();
    for (let d = 0; d < 3; d++) await index(store, 'kept', `doc-${d}`, texts(80));
    reader = new Database(dbPath, { readonly: true });
    const postings = new LexicalPostings(reader, 512);
    compareAll(postings, 'kept', 'tiny budget');
    assert.ok(postings.keptBytes <= 512, `kept ${postings.keptBytes} bytes`);
    await index(store, 'kept', 'doc-1', texts(20));
    compareAll(postings, 'kept', 'tiny budget, after a replacement');
  });

  it('when rankings go to more collections than the budget holds the rows of, should drop the least recently ranked and rank each as FTS5 does', async () => {
    open();
    for (const collection of ['first', 'second']) for (let d = 0; d < 6; d++) await index(store, collection, `doc-${d}`, texts(80));
    reader = new Database(dbPath, { readonly: true });
    // 480 rows a collection take ~40 KB (1,024 slots and 480 map entries): two collections' rows
    // pass half of 100 KB, one does not.
    const postings = new LexicalPostings(reader, 100_000);
    compareAll(postings, 'first', 'first collection');
    assert.equal(postings.collectionsKept, 1);
    compareAll(postings, 'second', 'second collection');
    assert.equal(postings.collectionsKept, 1, 'the first collection\'s rows were dropped');
    assert.ok(postings.keptBytes <= 100_000 - 40_000, `postings kept beside the rows: ${postings.keptBytes} bytes`);
    compareAll(postings, 'first', 'first collection read again');
    assert.equal(postings.collectionsKept, 1);
    const wide = new LexicalPostings(reader, 1_000_000);
    compareAll(wide, 'first', 'wide budget, first');
    compareAll(wide, 'second', 'wide budget, second');
    assert.equal(wide.collectionsKept, 2, 'both kept within a budget that holds them');
  });

  /** Writes more changes into `collection` than a ranking applies: its next ranking would read it afresh. */
  async function bulkLoad(collection: string, documents: number): Promise<void> {
    for (let d = 0; d < documents; d++) await index(store, collection, `bulk-${d}`, texts(60));
  }

  /** Steps `postings.rewarm` at `now` until it has nothing more to do; how many steps wanted more. */
  function rewarmUntilDone(postings: LexicalPostings, now: number): number {
    let steps = 0;
    while (postings.rewarm(now)) steps++;
    return steps;
  }

  it('when a bulk load into a ranked collection has paused, should read its kept words again before a ranking asks for them, and rank as FTS5 does', async () => {
    open();
    await index(store, 'kept', 'doc-0', texts(60), 'River stones');
    reader = new Database(dbPath, { readonly: true });
    const warmed = new LexicalPostings(reader);
    const cold = new LexicalPostings(reader);
    compareAll(warmed, 'kept', 'before the bulk load');
    compareAll(cold, 'kept', 'before the bulk load');
    await bulkLoad('kept', 40);
    const t0 = 1_000_000;
    assert.equal(warmed.rewarm(t0), false, 'the load\'s last change is seen the first time');
    assert.equal(warmed.rewarm(t0 + REWARM_QUIET_MS - 1), false, 'not quiet for long enough yet');
    assert.ok(rewarmUntilDone(warmed, t0 + REWARM_QUIET_MS) > 0, 'read afresh once the writes paused');
    assert.equal(warmed.rewarm(t0 + 2 * REWARM_QUIET_MS), false, 'nothing more to do until the next writes');

    const readByWarmed = warmed.stemsRead;
    compareAll(warmed, 'kept', 'after the bulk load, words read again');
    assert.equal(warmed.stemsRead, readByWarmed, 'the rankings found every word kept');
    const readByCold = cold.stemsRead;
    compareAll(cold, 'kept', 'after the bulk load, words read by the rankings');
    assert.ok(cold.stemsRead > readByCold, 'without it the rankings read the words again themselves');
  });

  it('when a ranked collection is written while no ranking asks for it, should apply the writes between searches, so that the next ranking finds its words kept, and rank as FTS5 does', async () => {
    open();
    await index(store, 'kept', 'doc-0', texts(60), 'River stones');
    reader = new Database(dbPath, { readonly: true });
    const following = new LexicalPostings(reader);
    const left = new LexicalPostings(reader);
    compareAll(following, 'kept', 'before the writes');
    compareAll(left, 'kept', 'before the writes');
    // 3,600 changes in all, more than a ranking applies before reading a collection afresh;
    // 1,200 between two looks of the thread.
    for (let round = 0; round < 3; round++) {
      for (let d = 0; d < 20; d++) await index(store, 'kept', `round-${round}-${d}`, texts(60));
      following.keepUp();
    }
    const readByFollowing = following.stemsRead;
    compareAll(following, 'kept', 'after the writes, followed between searches');
    assert.equal(following.stemsRead, readByFollowing, 'the rankings found every word kept');
    const readByLeft = left.stemsRead;
    compareAll(left, 'kept', 'after the writes, not followed');
    assert.ok(left.stemsRead > readByLeft, 'without it the rankings read the collection and its words again');
  });

  it('when more changes than a ranking applies go to another collection, then a few to a ranked one, should apply those few and read no word again', async () => {
    open();
    await index(store, 'kept', 'doc-0', texts(60));
    reader = new Database(dbPath, { readonly: true });
    const postings = new LexicalPostings(reader);
    compareAll(postings, 'kept', 'before the other writes');
    for (let d = 0; d < 40; d++) await index(store, 'other', `other-${d}`, texts(60)); // 2,400 changes
    await index(store, 'kept', 'doc-1', texts(10));
    const read = postings.stemsRead;
    compareAll(postings, 'kept', 'after the other writes and ten of its own');
    assert.equal(postings.stemsRead, read, 'no word read again');
  });

  it('when writes resume while kept words are being read again, should stop reading and leave the rankings to bring them up to date', async () => {
    open();
    await index(store, 'kept', 'doc-0', texts(60));
    reader = new Database(dbPath, { readonly: true });
    const postings = new LexicalPostings(reader);
    compareAll(postings, 'kept', 'before the bulk load');
    await bulkLoad('kept', 40);
    postings.rewarm(0);
    assert.ok(postings.rewarm(REWARM_QUIET_MS), 'read afresh');
    await index(store, 'kept', 'doc-late', texts(30));
    const read = postings.stemsRead;
    assert.equal(postings.rewarm(REWARM_QUIET_MS + 1), false, 'stopped: the collection changed');
    assert.equal(postings.stemsRead, read, 'no word read from the changed snapshot');
    compareAll(postings, 'kept', 'after the late write');
  });

  /** A collection of 60 chunks in a store that keeps 20 changes, each query ranked once through new postings. */
  async function rankedWithShortSequence(where: string): Promise<LexicalPostings> {
    open(20);
    await index(store, 'kept', 'doc-0', texts(60));
    reader = new Database(dbPath, { readonly: true });
    const postings = new LexicalPostings(reader);
    compareAll(postings, 'kept', where);
    return postings;
  }

  it('when the change sequence was pruned past the kept postings, should read the collection again and rank as FTS5 does', async () => {
    const postings = await rankedWithShortSequence('before pruning');
    for (let d = 1; d < 4; d++) await index(store, 'kept', `doc-${d}`, texts(40));
    await store.deleteDocument('kept', 'doc-0');
    assert.ok((reader.prepare("SELECT through_seq FROM chunk_changes_pruned WHERE collection = 'kept'").pluck().get() as number) > 0, 'pruned');
    compareAll(postings, 'kept', 'after pruning');
  });

  it('when writes into another collection prune every change of a ranked one, should keep its words and not read it again', async () => {
    const postings = await rankedWithShortSequence('before the other writes');
    for (let d = 0; d < 4; d++) await index(store, 'other', `other-${d}`, texts(40));
    assert.equal(reader.prepare("SELECT count(*) FROM chunk_changes WHERE collection = 'kept'").pluck().get(), 0, 'every change of the ranked collection pruned');
    const read = postings.stemsRead;
    compareAll(postings, 'kept', 'after the other writes');
    assert.equal(postings.rewarm(0), false, 'the last change seen the first time');
    assert.equal(postings.rewarm(2 * REWARM_QUIET_MS), false, 'nothing to read again: the collection did not change');
    compareAll(postings, 'kept', 'after the quiet second');
    assert.equal(postings.stemsRead, read, 'no word read again');
  });

  it('when a collection is deleted and made again under the same row id, should rank only the new chunks', async () => {
    open();
    await index(store, 'kept', 'old', texts(60));
    reader = new Database(dbPath, { readonly: true });
    const postings = new LexicalPostings(reader);
    compareAll(postings, 'kept', 'old collection');
    const rowId = reader.prepare("SELECT id FROM collections WHERE name = 'kept'").pluck().get();
    await store.deleteCollection('kept');
    await new Promise((resolve) => setTimeout(resolve, 5));
    await index(store, 'kept', 'new', texts(25));
    assert.equal(reader.prepare("SELECT id FROM collections WHERE name = 'kept'").pluck().get(), rowId, 'the same row id');
    compareAll(postings, 'kept', 'made again');
  });
});

describe('FTS5 tokens asked through a scratch table', () => {
  it('should give each word the stem the lexical indexes give it, and refuse a word that is not one token', () => {
    const db = new Database(':memory:');
    try {
      const tokenizer = new Fts5Tokens(db);
      assert.deepEqual(tokenizer.stems(['Echoing', 'options', 'Café']), ['echo', 'option', 'cafe']);
      assert.equal(tokenizer.stems(['two words']), null);
      assert.equal(tokenizer.stems(['--']), null);
      const rows = [
        { rowid: 7, text: 'Rivers and river', heading: 'River', title: null },
        { rowid: 9, text: 'stone', heading: null, title: 'Stones' },
      ];
      const stems = new Set(['river', 'stone', 'absent']);
      // Read both ways: every occurrence once (few tokens for the stems), or stem by stem.
      for (const tokens of [1, 1000]) {
        const found = tokenizer.occurrences(rows, stems, tokens);
        assert.deepEqual([...found].sort(), [['river', '7,7,7'], ['stone', '9,9']], `${tokens} tokens`);
      }
      assert.deepEqual(tokenizer.stems(['river']), ['river'], 'nothing is left behind between calls');
    } finally {
      db.close();
    }
  });
});
