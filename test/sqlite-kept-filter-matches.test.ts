import assert from 'node:assert/strict';
import type { MetadataFilter } from '../schema/metadata-filter.ts';
import { filteredChunks } from '../stores/sqlite/filtered-chunks.ts';
import { KeptFilterMatches, MAX_FILTERS, type KeptCollection } from '../stores/sqlite/kept-filter-matches.ts';
import type { Store } from '../stores/store.ts';
import { indexTexts, openScratchSqlite, type ScratchSqlite } from './support/scratch-sqlite.ts';

const EMBEDDER = { name: 'kept-filter-test', dimension: 2 };

/** A document of `chunks` chunks. */
function index(store: Store, collection: string, documentId: string, chunks: number, metadata: Record<string, unknown>): Promise<void> {
  return indexTexts(store, EMBEDDER, collection, documentId, Array.from({ length: chunks }, (_, i) => `text ${documentId} ${i}`), metadata);
}

// A filter's chunks kept between searches (kept-filter-matches.ts) must answer exactly as the chunk
// rows do in each search's snapshot, whatever was written, replaced or deleted since they were
// listed: each case compares the kept answers with the rows' own (filtered-chunks.ts).
describe('Chunks of a metadata filter kept between searches', function () {
  this.timeout(60_000);
  let scratch: ScratchSqlite | undefined;
  let store: Store;
  let reader: ScratchSqlite['reader'];
  /** Every chunk rowid the collection ever held, so deleted ones are asked about too. */
  const everSeen = new Set<number>();

  afterEach(async () => {
    await scratch?.close();
    scratch = undefined;
    everSeen.clear();
  });

  function open(changeRetention?: number): void {
    scratch = openScratchSqlite('rag-kept-filter-', changeRetention === undefined ? {} : { changeRetention });
    ({ store, reader } = scratch);
  }

  function collectionOf(name: string): KeptCollection {
    const row = reader.prepare('SELECT id, created_at FROM collections WHERE name = ?').get(name) as { id: number; created_at: number };
    return { name, rowId: row.id, createdAt: row.created_at };
  }

  /** Asks the kept filter in one read transaction, as a search does, and checks it against the rows. */
  function check(kept: KeptFilterMatches, name: string, filter: MetadataFilter, asked: 'matching' | 'all' = 'matching'): number[] {
    const collection = collectionOf(name);
    return reader.transaction(() => {
      for (const rowid of reader.prepare('SELECT rowid FROM chunks').pluck().all() as number[]) everSeen.add(rowid);
      const keys = [...everSeen].map(BigInt);
      const fromRows = filteredChunks(reader, name, filter);
      const expected = [...fromRows.matching(keys)].map(Number).sort((a, b) => a - b);
      const answer = kept.filtered(reader, collection, filter);
      assert.equal(answer.count, fromRows.count);
      const got = asked === 'matching' ? [...answer.matching(keys)] : answer.all();
      assert.deepEqual(got.map(Number).sort((a, b) => a - b), expected, `${JSON.stringify(filter)} (${asked})`);
      assert.deepEqual(answer.all().map(Number).sort((a, b) => a - b), expected, `${JSON.stringify(filter)} (all)`);
      return expected;
    }).deferred();
  }

  it('when chunks are added, replaced and deleted after a filter was listed, should answer as the rows do and apply the changes to the kept set', async () => {
    open();
    for (let d = 0; d < 100; d++) await index(store, 'books', `doc-${d}`, 4, { shelf: d % 2 === 0 ? 'a' : 'b' });
    const kept = new KeptFilterMatches();
    assert.equal(check(kept, 'books', { shelf: 'a' }).length, 200);
    assert.equal(kept.size, 200, 'listed at once: its 200 chunks are fewer than 20 times the 400 asked about');
    // Each step changes fewer chunks than listing the 200 would cost (200 / 20): applied, not listed again.
    const steps: [string, () => Promise<unknown>, number][] = [
      ['a document added to shelf a', () => index(store, 'books', 'doc-100', 3, { shelf: 'a' }), 203],
      ['one added to shelf b', () => index(store, 'books', 'doc-101', 3, { shelf: 'b' }), 203],
      ['one moved from shelf a to b', () => index(store, 'books', 'doc-0', 4, { shelf: 'b' }), 199],
      ['one indexed again with fewer chunks', () => index(store, 'books', 'doc-2', 2, { shelf: 'a' }), 197],
      ['one deleted', () => store.deleteDocument('books', 'doc-4'), 193],
      ["another collection's writes", () => index(store, 'other', 'doc-6', 3, { shelf: 'a' }), 193],
    ];
    for (const [step, change, expected] of steps) {
      await change();
      assert.equal(check(kept, 'books', { shelf: 'a' }, step.includes('deleted') ? 'all' : 'matching').length, expected, step);
      assert.equal(kept.size, expected, step);
      assert.equal(kept.listings, 1, `${step}: applied to the kept set`);
    }
    // More changes than listing costs: listed again.
    for (let d = 10; d < 20; d++) await index(store, 'books', `doc-${d}`, 4, { shelf: 'b' });
    assert.equal(check(kept, 'books', { shelf: 'a' }).length, 193 - 20);
    assert.equal(kept.listings, 2);
  });

  it('when the changes since a filter was listed were pruned, should list it again', async () => {
    open(20);
    for (let d = 0; d < 10; d++) await index(store, 'books', `doc-${d}`, 5, { shelf: d % 2 === 0 ? 'a' : 'b' });
    const kept = new KeptFilterMatches();
    check(kept, 'books', { shelf: 'a' });
    assert.equal(kept.size, 25);
    // Far more changes than the 20 retained: the kept set cannot be brought up to date from them.
    for (let d = 0; d < 10; d++) await index(store, 'books', `doc-${d}`, 4, { shelf: d % 3 === 0 ? 'a' : 'b' });
    for (let d = 10; d < 16; d++) await index(store, 'books', `doc-${d}`, 6, { shelf: 'a' });
    const now = check(kept, 'books', { shelf: 'a' });
    assert.equal(now.length, 4 * 4 + 6 * 6);
    assert.equal(kept.size, now.length);
    assert.equal(kept.listings, 2);
  });

  it('when a filter seen for the first time matches many more chunks than a search asks about, should check the rows, and keep it once asked again', async () => {
    open();
    for (let d = 0; d < 20; d++) await index(store, 'books', `doc-${d}`, 10, { shelf: 'a' });
    const kept = new KeptFilterMatches();
    const collection = collectionOf('books');
    const chunk = BigInt(reader.prepare('SELECT rowid FROM chunks LIMIT 1').pluck().get() as number);
    const ask = () => reader.transaction(() => [...kept.filtered(reader, collection, { shelf: 'a' }).matching([chunk])]).deferred();
    assert.deepEqual(ask(), [chunk]);
    assert.equal(kept.size, 0, '200 chunks against one candidate: not listed');
    assert.deepEqual(ask(), [chunk]);
    assert.equal(kept.size, 200, 'asked again: listed');
  });

  it('when two filters asked again take turns in a thread too small for both, should list the one crowded out again only within ten searches\' checks', async () => {
    open();
    for (let d = 0; d < 42; d++) await index(store, 'books', `doc-${d}`, 10, { shelf: d % 2 === 0 ? 'a' : 'b' });
    const kept = new KeptFilterMatches(300);
    const collection = collectionOf('books');
    const oneOf = (shelf: string) => BigInt(reader.prepare("SELECT rowid FROM chunks WHERE metadata ->> '$.shelf' = ? LIMIT 1").pluck().get(shelf) as number);
    const ask = (shelf: string) => reader.transaction(() => [...kept.filtered(reader, collection, { shelf }).matching([oneOf(shelf)])]).deferred();
    for (const shelf of ['a', 'a', 'b', 'b']) assert.deepEqual(ask(shelf), [oneOf(shelf)]);
    assert.equal(kept.listings, 2, 'each listed when asked again, 210 chunks against one candidate');
    assert.equal(kept.size, 210, "b's set crowded a's out");
    for (let turn = 0; turn < 3; turn++) {
      for (const shelf of ['a', 'b']) assert.deepEqual(ask(shelf), [oneOf(shelf)]);
    }
    assert.equal(kept.listings, 2, 'a, crowded out, is not listed again: its 210 chunks are more than 200 times its one candidate');
    assert.equal(kept.size, 210);
  });

  it('when filters match more chunks than a thread keeps, or more filters are asked than it remembers, should keep within both bounds and still answer as the rows do', async () => {
    open();
    for (let d = 0; d < 20; d++) await index(store, 'books', `doc-${d}`, 5, { shelf: d % 2 === 0 ? 'a' : 'b', n: d });
    const kept = new KeptFilterMatches(60);
    check(kept, 'books', { shelf: 'a' });
    assert.equal(kept.size, 50);
    check(kept, 'books', { shelf: 'b' });
    assert.equal(kept.size, 50, 'the older filter dropped to make room');
    check(kept, 'books', {});
    assert.equal(kept.size, 50, 'a filter matching 100 chunks is never kept by a thread keeping 60');
    for (let n = 0; n < MAX_FILTERS + 40; n++) check(kept, 'books', { n });
    assert.ok(kept.filterCount <= MAX_FILTERS, `${kept.filterCount} filters remembered`);
    assert.ok(kept.size <= 60);
  });

  it('when a collection is deleted and made again under its name, should never answer from the set kept for the first', async () => {
    open();
    for (let d = 0; d < 10; d++) await index(store, 'books', `doc-${d}`, 5, { shelf: 'a' });
    const kept = new KeptFilterMatches();
    check(kept, 'books', { shelf: 'a' });
    assert.equal(kept.size, 50);
    await store.deleteCollection('books');
    for (let d = 0; d < 4; d++) await index(store, 'books', `new-${d}`, 3, { shelf: d === 0 ? 'a' : 'b' });
    assert.equal(check(kept, 'books', { shelf: 'a' }).length, 3);
  });
});
