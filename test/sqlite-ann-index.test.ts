import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import * as sqliteVec from 'sqlite-vec';
import type { IndexedChunk } from '../schema/domain.ts';
import type { MetadataFilter } from '../schema/metadata-filter.ts';
import { openSqliteStore } from '../stores/sqlite/sqlite-store.ts';
import { AnnIndexes, type CollectionIdentity } from '../stores/sqlite/ann-index.ts';
import { nearestInView } from '../stores/sqlite/ann-view.ts';
import { SettlingGraph } from '../stores/sqlite/settling-graph.ts';
import { vectorTableName } from '../stores/sqlite/migrations.ts';
import type { Store } from '../stores/store.ts';

const EMBEDDER = { name: 'ann-test', dimension: 16 };

/** A deterministic pseudo-random unit vector. */
function vector(seed: number): Float32Array {
  const out = new Float32Array(EMBEDDER.dimension);
  let x = seed * 2654435761 % 4294967296;
  for (let i = 0; i < out.length; i++) {
    x = (x * 1664525 + 1013904223) % 4294967296;
    out[i] = x / 4294967296 - 0.5;
  }
  const norm = Math.hypot(...out);
  return out.map((v) => v / norm);
}

async function index(store: Store, documentId: string, chunks: IndexedChunk[], collection = 'ann', metadata: Record<string, unknown> = {}): Promise<void> {
  const jobId = `job-${collection}-${documentId}-${chunks[0]?.id ?? 'empty'}`;
  await store.createJob({ id: jobId, collection, documentId, priority: 'NORMAL' });
  await store.indexDocument({
    jobId,
    document: { id: documentId, collection, title: null, mimeType: null, sourceUrl: null, metadata, contentHash: null },
    embedder: EMBEDDER,
    chunks,
  });
}

/**
 * A gateway's index over the store at `path` (collection "ann", `chunks` chunks, all unapplied at
 * first), once its background follower has applied them and been stopped: what is written after
 * stays unapplied.
 */
async function caughtUpThenStopped(path: string, chunks: number, kind: { flatMaxChunks: number; columnsUpTo?: number }) {
  const db = new Database(path, { readonly: true });
  sqliteVec.load(db);
  const indexes = new AnnIndexes(db, null, vectorTableName, { flatMaxChunks: kind.flatMaxChunks, columnsUpTo: kind.columnsUpTo });
  const row = db.prepare("SELECT id, created_at FROM collections WHERE name = 'ann'").get() as { id: number; created_at: number };
  const identity = { name: 'ann', rowId: row.id, createdAt: row.created_at, dimension: EMBEDDER.dimension };
  assert.equal(indexes.view(identity)!.pending.size, chunks, 'a new graph starts with every chunk unapplied');
  // With columns, caught up means they are full too (the first view asks for them).
  const columnsFull = () => kind.columnsUpTo === undefined || indexes.view(identity)!.columns() !== null;
  for (let waited = 0; indexes.view(identity)!.pending.size > 0 || !columnsFull(); waited += 20) {
    assert.ok(waited < 10_000, 'the follower did not catch up');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  indexes.close();
  return { db, indexes, identity };
}

/** Waits until the background follower of `indexes` has applied every change to `identity`. */
async function followerCaughtUp(db: Database.Database, indexes: AnnIndexes, identity: CollectionIdentity): Promise<void> {
  for (let waited = 0; db.transaction(() => indexes.view(identity)!.pending.size).deferred() > 0; waited += 20) {
    assert.ok(waited < 10_000, 'the follower did not catch up');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Ten one-chunk documents in collection "ann" of a store at `path`, then a gateway's index of them
 * saving under `annDir`, once its follower has caught up.
 */
async function savingReader(path: string, annDir: string) {
  const writer = openSqliteStore({ path, searchThreads: false });
  for (let d = 0; d < 10; d++) await index(writer, `doc-${d}`, chunksOf(`doc-${d}`, 'v1', [d * 10 + 1]));
  await writer.close();
  const db = new Database(path, { readonly: true });
  sqliteVec.load(db);
  const indexes = new AnnIndexes(db, annDir, vectorTableName);
  const row = db.prepare("SELECT id, created_at FROM collections WHERE name = 'ann'").get() as { id: number; created_at: number };
  const identity = { name: 'ann', rowId: row.id, createdAt: row.created_at, dimension: EMBEDDER.dimension };
  await followerCaughtUp(db, indexes, identity);
  return { db, indexes, identity };
}

/** What the meta file of the one index saved under `dir` says, or null before any is saved. */
function savedMeta(dir: string): { seq: number; size: number; index: string; recent?: number } | null {
  const name = existsSync(join(dir, 'ann')) ? readdirSync(join(dir, 'ann')).find((file) => file.endsWith('.json')) : undefined;
  return name === undefined ? null : JSON.parse(readFileSync(join(dir, 'ann', name), 'utf8')) as { seq: number; size: number; index: string; recent?: number };
}

/** How a settled index's meta names its kind: a graph also says how many vectors waited beside it (none). */
function savedAs(index: string): { index: string; recent?: number } {
  return index === 'graph' ? { index, recent: 0 } : { index };
}

/** Asserts that `store` gives the same VECTOR hits, in the same order, as `exact` for each seed's query. */
async function assertSameHitsAsExact(store: Store, exact: Store, collection: string, seeds: readonly number[], k: number): Promise<void> {
  for (const seed of seeds) {
    const query = { collection, mode: 'VECTOR' as const, vector: vector(seed), k };
    assert.deepEqual((await store.search(query)).map((hit) => hit.chunkId), (await exact.search(query)).map((hit) => hit.chunkId), `query ${seed}`);
  }
}

const chunksOf = (documentId: string, version: string, seeds: number[]): IndexedChunk[] =>
  seeds.map((seed, ordinal) => ({ id: `${documentId}:${version}:${ordinal}`, ordinal, text: `${documentId} ${version}`, heading: null, vector: vector(seed) }));

/**
 * Every behaviour below holds for both kinds of index a collection can have: the exact int8 scan
 * of a collection up to its limit, and the graph built past it (a limit of 0 grows one at once).
 */
const KINDS = [
  { name: 'exact int8 scan', flatMaxChunks: 1_000_000, saved: 'flat', files: ['json', 'vectors'] },
  { name: 'HNSW graph', flatMaxChunks: 0, saved: 'graph', files: ['json', 'usearch', 'vectors'] },
  // The test's vectors have 16 components: with columnsUpTo 16 every query is scored by the columns.
  { name: 'int8 columns beside a scan', flatMaxChunks: 1_000_000, columnsUpTo: 16, saved: 'flat', files: ['json', 'vectors'] },
  { name: 'int8 columns beside a graph', flatMaxChunks: 0, columnsUpTo: 16, saved: 'graph', files: ['json', 'usearch', 'vectors'] },
] as { name: string; flatMaxChunks: number; columnsUpTo?: number; saved: 'flat' | 'graph'; files: string[] }[];

for (const kind of KINDS) describe(`SqliteStore approximate vector index (${kind.name})`, function () {
  this.timeout(60_000);
  let dir: string;
  const stores: Store[] = [];
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'rag-ann-')); });
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('when another process writes, replaces and deletes, should find the new chunks and never the old ones', async () => {
    const path = join(dir, 'store.db');
    // The writer stands for an index actor, the reader for a gateway with its own index.
    const writer = openSqliteStore({ path, searchThreads: false });
    const reader = openSqliteStore({ path, annMinChunks: 0, annFlatMaxChunks: kind.flatMaxChunks, annColumnsUpTo: kind.columnsUpTo });
    stores.push(writer, reader);
    for (let d = 0; d < 20; d++) await index(writer, `doc-${d}`, chunksOf(`doc-${d}`, 'v1', [d * 10 + 1, d * 10 + 2, d * 10 + 3]));
    const first = await reader.search({ collection: 'ann', vector: vector(51), k: 1 });
    assert.equal(first[0]?.chunkId, 'doc-5:v1:0');

    // Replaced: the old version's vector was the query's; the new one must win with its own score.
    await index(writer, 'doc-5', chunksOf('doc-5', 'v2', [9001]));
    const replaced = await reader.search({ collection: 'ann', vector: vector(51), k: 5 });
    assert.ok(!replaced.some((hit) => hit.chunkId.startsWith('doc-5:v1')), JSON.stringify(replaced.map((h) => h.chunkId)));
    assert.equal((await reader.search({ collection: 'ann', vector: vector(9001), k: 1 }))[0]?.chunkId, 'doc-5:v2:0');

    await writer.deleteDocument('ann', 'doc-7');
    const afterDelete = await reader.search({ collection: 'ann', vector: vector(71), k: 10 });
    assert.ok(!afterDelete.some((hit) => hit.documentId === 'doc-7'));
    assert.equal(afterDelete.length, 10);
  });

  it('when a search has a metadata filter, should rank only the chunks it matches as the exact filtered search does, for broad and narrow filters, with new, replaced and deleted chunks not yet applied', async () => {
    const path = join(dir, 'store.db');
    const writer = openSqliteStore({ path, searchThreads: false });
    const reader = openSqliteStore({ path, annMinChunks: 0, annFlatMaxChunks: kind.flatMaxChunks, annColumnsUpTo: kind.columnsUpTo });
    stores.push(writer, reader);
    // 300 chunks, three in four of them "common": a broad filter is searched through the index,
    // the "rare" quarter by scoring each of its chunks (ann-view.ts nearestMatchingInView).
    const team = (d: number) => (d % 4 === 0 ? 'rare' : 'common');
    for (let d = 0; d < 100; d++) await index(writer, `doc-${d}`, chunksOf(`doc-${d}`, 'v1', [d * 10 + 1, d * 10 + 2, d * 10 + 3]), 'ann', { team: team(d), n: d });
    // Both filters' chunks are listed and kept by the search thread (kept-filter-matches.ts), so
    // the searches after the changes below use the kept sets brought up to date.
    for (const filter of [{ team: 'common' }, { team: 'rare' }]) await reader.search({ collection: 'ann', vector: vector(1), k: 10, filter });
    // Changes the reader's index has not applied yet: a rare document replaced by a common one,
    // a rare one deleted, a new rare one.
    await index(writer, 'doc-4', chunksOf('doc-4', 'v2', [41, 9001]), 'ann', { team: 'common', n: 4 });
    await writer.deleteDocument('ann', 'doc-8');
    await index(writer, 'doc-100', chunksOf('doc-100', 'v1', [81, 82]), 'ann', { team: 'rare', n: 100 });
    const seeds = [41, 42, 81, 82, 9001, 555, 7];
    const filters: MetadataFilter[] = [{ team: 'common' }, { team: 'rare' }, { n: 4 }, { team: 'none' }];
    for (const filter of filters) {
      for (const seed of seeds) {
        const query = { collection: 'ann', mode: 'VECTOR' as const, vector: vector(seed), k: 5, filter };
        const hits = (await reader.search(query)).map((hit) => hit.chunkId);
        assert.deepEqual(hits, (await writer.search(query)).map((hit) => hit.chunkId), `${JSON.stringify(filter)}, query ${seed}`);
        assert.ok(!hits.some((id) => id.startsWith('doc-4:v1') || id.startsWith('doc-8:')), `never a replaced or deleted chunk: ${hits}`);
      }
    }
    assert.equal((await reader.search({ collection: 'ann', vector: vector(9001), k: 2, filter: { team: 'common' } }))[0]?.chunkId, 'doc-4:v2:1');
    assert.equal((await reader.search({ collection: 'ann', vector: vector(81), k: 2, filter: { team: 'rare' } }))[0]?.chunkId, 'doc-100:v1:0');
    assert.deepEqual(await reader.search({ collection: 'ann', vector: vector(1), k: 5, filter: { team: 'none' } }), []);
  });

  it('when the graph is behind the writers, should rank the unapplied chunks beside it: new ones by their own vectors, replaced and deleted never', async () => {
    const path = join(dir, 'store.db');
    const writer = openSqliteStore({ path, searchThreads: false });
    stores.push(writer);
    for (let d = 0; d < 20; d++) await index(writer, `doc-${d}`, chunksOf(`doc-${d}`, 'v1', [d * 10 + 1, d * 10 + 2]));
    const { db, indexes, identity } = await caughtUpThenStopped(path, 40, kind);
    try {

      await index(writer, 'doc-5', chunksOf('doc-5', 'v2', [9001]));
      await writer.deleteDocument('ann', 'doc-7');
      await index(writer, 'doc-new', chunksOf('doc-new', 'v1', [4242]));
      const chunkIds = new Map((db.prepare('SELECT rowid, id FROM chunks').all() as { rowid: number; id: string }[]).map((r) => [BigInt(r.rowid), r.id]));
      const nearest = (seed: number, k: number) => db.transaction(() => {
        const view = indexes.view(identity)!;
        assert.ok(view.pending.size >= 5, `unapplied changes: ${view.pending.size}`);
        const matches = nearestInView(view, vector(seed), k);
        return [...matches.keys].map((key, i) => ({ id: chunkIds.get(key), distance: matches.distances[i]! }));
      }).deferred();

      const replaced = nearest(51, 5);
      assert.ok(!replaced.some((hit) => hit.id?.startsWith('doc-5:v1')), JSON.stringify(replaced));
      const fresh = nearest(9001, 1)[0]!;
      assert.equal(fresh.id, 'doc-5:v2:0');
      assert.ok(Math.abs(fresh.distance) < 1e-5, `distance ${fresh.distance}`);
      assert.ok(!nearest(71, 40).some((hit) => hit.id?.startsWith('doc-7:')), 'a deleted chunk is never returned');
      const added = nearest(4242, 3);
      assert.equal(added[0]!.id, 'doc-new:v1:0');
      // The rest come from the graph, in order, with the graph's own distances.
      assert.ok(added[1]!.distance <= added[2]!.distance && added[1]!.distance > 0);
    } finally {
      indexes.close();
      db.close();
    }
  });

  it('when an unapplied chunk changes again between searches, should score it by its vector after the last change', async () => {
    const path = join(dir, 'changed-again.db');
    const writer = openSqliteStore({ path, searchThreads: false });
    stores.push(writer);
    for (let d = 0; d < 10; d++) await index(writer, `doc-${d}`, chunksOf(`doc-${d}`, 'v1', [d * 10 + 1]));
    const { db, indexes, identity } = await caughtUpThenStopped(path, 10, kind);
    try {
      const nearest = (seed: number) => db.transaction(() => {
        const matches = nearestInView(indexes.view(identity)!, vector(seed), 1);
        return { key: matches.keys[0]!, distance: matches.distances[0]! };
      }).deferred();

      // Unapplied, and read by a search: its vector is known for this change.
      await index(writer, 'doc-late', chunksOf('doc-late', 'v1', [777]));
      const first = nearest(777);
      assert.ok(Math.abs(first.distance) < 1e-5, `distance ${first.distance}`);
      // Deleted and written again under the same row id (the highest one is reused), with another vector.
      await writer.deleteDocument('ann', 'doc-late');
      await index(writer, 'doc-late', chunksOf('doc-late', 'v2', [888]));
      const rowid = db.prepare("SELECT rowid FROM chunks WHERE document_id = 'doc-late'").pluck().get() as number;
      assert.equal(BigInt(rowid), first.key, 'the row id was reused');
      const again = nearest(888);
      assert.equal(again.key, first.key);
      assert.ok(Math.abs(again.distance) < 1e-5, `scored by an earlier vector: distance ${again.distance}`);
      assert.ok(nearest(777).distance > 1e-3, 'the vector before the change is gone');
    } finally {
      indexes.close();
      db.close();
    }
  });

  it('when a deleted chunk\'s row id is reused by a new chunk, should score the new chunk by its own vector', async () => {
    const path = join(dir, 'store.db');
    const writer = openSqliteStore({ path, searchThreads: false });
    const reader = openSqliteStore({ path, annMinChunks: 0, annFlatMaxChunks: kind.flatMaxChunks, annColumnsUpTo: kind.columnsUpTo });
    stores.push(writer, reader);
    for (let d = 0; d < 5; d++) await index(writer, `doc-${d}`, chunksOf(`doc-${d}`, 'v1', [d * 10 + 1]));
    await reader.search({ collection: 'ann', vector: vector(41), k: 1 });
    // SQLite hands the highest row id out again once its row is gone: doc-4's chunk row id goes to doc-new.
    await writer.deleteDocument('ann', 'doc-4');
    await index(writer, 'doc-new', chunksOf('doc-new', 'v1', [9999]));
    const hits = await reader.search({ collection: 'ann', vector: vector(41), k: 5 });
    assert.ok(!hits.some((hit) => hit.documentId === 'doc-4'));
    const reused = hits.find((hit) => hit.documentId === 'doc-new');
    const expected = vector(41).reduce((sum, value, i) => sum + value * vector(9999)[i]!, 0);
    assert.ok(reused !== undefined && Math.abs(reused.score - expected) < 1e-5, JSON.stringify(hits.map((hit) => [hit.chunkId, hit.score])));
  });

  it('when the store closes, should save the index with its sequence number and load it on the next start', async () => {
    const path = join(dir, 'store.db');
    let store = openSqliteStore({ path, annMinChunks: 0, annFlatMaxChunks: kind.flatMaxChunks, annColumnsUpTo: kind.columnsUpTo });
    for (let d = 0; d < 10; d++) await index(store, `doc-${d}`, chunksOf(`doc-${d}`, 'v1', [d * 10 + 1, d * 10 + 2]));
    await store.search({ collection: 'ann', vector: vector(11), k: 3 });
    await store.close();
    const saved = readdirSync(join(dir, 'ann'));
    const meta = saved.find((name) => name.endsWith('.json'))!;
    assert.deepEqual(saved.map((name) => name.split('.').at(-1)).sort(), kind.files, saved.join(', '));
    assert.deepEqual(JSON.parse(readFileSync(join(dir, 'ann', meta), 'utf8')), { seq: 20, size: 20, ...savedAs(kind.saved) });

    store = openSqliteStore({ path, annMinChunks: 0, annFlatMaxChunks: kind.flatMaxChunks, annColumnsUpTo: kind.columnsUpTo });
    stores.push(store);
    await index(store, 'doc-new', chunksOf('doc-new', 'v1', [777]));
    assert.equal((await store.search({ collection: 'ann', vector: vector(777), k: 1 }))[0]?.chunkId, 'doc-new:v1:0');
    assert.equal((await store.search({ collection: 'ann', vector: vector(11), k: 1 }))[0]?.chunkId, 'doc-1:v1:0');
    // The loaded float32 vectors score the graph's candidates: the same hits and scores as exact search.
    const exact = openSqliteStore({ path, searchThreads: false });
    stores.push(exact);
    const query = vector(12345);
    const approximate = await store.search({ collection: 'ann', mode: 'VECTOR', vector: query, k: 5 });
    const scan = await exact.search({ collection: 'ann', mode: 'VECTOR', vector: query, k: 5 });
    assert.deepEqual(approximate.map((hit) => hit.chunkId), scan.map((hit) => hit.chunkId));
    approximate.forEach((hit, i) => assert.ok(Math.abs(hit.score - scan[i]!.score) < 1e-6, `${hit.score} against ${scan[i]!.score}`));
  });

  it('when the saved graph is of an earlier format, should build it again and remove the earlier files', async () => {
    const path = join(dir, 'store.db');
    let store = openSqliteStore({ path, annMinChunks: 0, annFlatMaxChunks: kind.flatMaxChunks, annColumnsUpTo: kind.columnsUpTo });
    for (let d = 0; d < 5; d++) await index(store, `doc-${d}`, chunksOf(`doc-${d}`, 'v1', [d * 10 + 1]));
    await store.search({ collection: 'ann', vector: vector(11), k: 1 });
    await store.close();
    // What an earlier version would have left: the same collection's graph under its own names.
    const base = readdirSync(join(dir, 'ann')).find((name) => name.endsWith('.json'))!.replace(/-i8f32\.json$/, '');
    for (const name of readdirSync(join(dir, 'ann'))) rmSync(join(dir, 'ann', name));
    const earlier = [`${base}.usearch`, `${base}.json`, `${base}-f32.usearch`, `${base}-f32.json`];
    for (const name of earlier) writeFileSync(join(dir, 'ann', name), 'an earlier format');

    store = openSqliteStore({ path, annMinChunks: 0, annFlatMaxChunks: kind.flatMaxChunks, annColumnsUpTo: kind.columnsUpTo });
    stores.push(store);
    assert.equal((await store.search({ collection: 'ann', vector: vector(31), k: 1 }))[0]?.chunkId, 'doc-3:v1:0');
    await store.close();
    const left = readdirSync(join(dir, 'ann'));
    assert.deepEqual(left.filter((name) => earlier.includes(name)), []);
    assert.deepEqual(left.sort(), kind.files.map((extension) => `${base}-i8f32.${extension}`));
  });

  it('when writers commit and nobody searches, should follow the changes in the background and save the graph once they are quiet', async () => {
    const path = join(dir, 'store.db');
    const writer = openSqliteStore({ path, searchThreads: false });
    const reader = openSqliteStore({ path, annMinChunks: 0, annFlatMaxChunks: kind.flatMaxChunks, annColumnsUpTo: kind.columnsUpTo });
    stores.push(writer);
    for (let d = 0; d < 5; d++) await index(writer, `doc-${d}`, chunksOf(`doc-${d}`, 'v1', [d * 10 + 1]));
    await reader.search({ collection: 'ann', vector: vector(11), k: 1 }); // holds the graph from now on
    // 100 chunks in 20 writes, more than one background step, and no search to apply them.
    for (let d = 5; d < 25; d++) await index(writer, `doc-${d}`, chunksOf(`doc-${d}`, 'v1', [1, 2, 3, 4, 5].map((i) => d * 10 + i)));
    // Once the writers are quiet (2 s), the follower saves the graph at the sequence number it
    // reached, with no search and no close: what a burst added is on disk soon after it.
    const saved = () => savedMeta(dir);
    const deadline = Date.now() + 10_000;
    while (saved()?.seq !== 105 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(saved(), { seq: 105, size: 105, ...savedAs(kind.saved) });
    await reader.close();
  });

  it('when a save is written a step at a time, should go on following and answering meanwhile, save the sequence number it started at, then what came after; and a close should finish it', async () => {
    const path = join(dir, 'store.db');
    const writer = openSqliteStore({ path, searchThreads: false });
    const exact = openSqliteStore({ path, searchThreads: false });
    stores.push(writer, exact);
    const write = async (from: number, to: number) => {
      await Promise.all(Array.from({ length: to - from }, (_, i) => index(writer, `doc-${from + i}`, chunksOf(`doc-${from + i}`, 'v1', [(from + i) * 10 + 1]))));
    };
    // A thousand: a save of one vector a step takes a thousand follower steps, over a second.
    await write(0, 1_000);
    const db = new Database(path, { readonly: true });
    sqliteVec.load(db);
    const row = db.prepare("SELECT id, created_at FROM collections WHERE name = 'ann'").get() as { id: number; created_at: number };
    const identity = { name: 'ann', rowId: row.id, createdAt: row.created_at, dimension: EMBEDDER.dimension };
    const last = () => db.prepare('SELECT max(seq) FROM chunk_changes').pluck().get() as number;
    const ids = () => new Map((db.prepare('SELECT rowid, id FROM chunks').all() as { rowid: number; id: string }[]).map((r) => [BigInt(r.rowid), r.id]));
    const underWay = () => existsSync(join(dir, 'ann')) && readdirSync(join(dir, 'ann')).some((file) => file.endsWith('.tmp'));
    const until = async (what: string, done: () => boolean) => {
      for (const deadline = Date.now() + 20_000; !done();) {
        assert.ok(Date.now() < deadline, `${what}; saved: ${JSON.stringify(savedMeta(dir))}`);
        await new Promise((resolve) => setImmediate(resolve));
      }
    };
    // One vector a step.
    const open = () => new AnnIndexes(db, join(dir, 'ann'), vectorTableName, { flatMaxChunks: kind.flatMaxChunks, columnsUpTo: kind.columnsUpTo, saveStepBytes: 1 });
    let indexes = open();
    try {
      db.transaction(() => indexes.view(identity)).deferred();
      await until('saved once, caught up', () => savedMeta(dir)?.seq === last() && savedMeta(dir)?.index === kind.saved && !underWay());

      // Ten more, and once the writers are quiet a save starts: ten more written while it is under way.
      await write(1_000, 1_010);
      const startedAt = last();
      await until('a save under way', underWay);
      await write(1_010, 1_020);
      const found = db.transaction(() => [...nearestInView(indexes.view(identity)!, vector(10_151), 3).keys]).deferred();
      assert.equal(ids().get(found[0]!), 'doc-1015:v1:0', 'a chunk written while the save is under way is found');
      assert.ok(underWay(), 'the save is still under way after ten writes and a search');
      await until('the save done', () => !underWay());
      assert.equal(savedMeta(dir)!.seq, startedAt, 'the save names the sequence number it started at');
      await until('what came after saved', () => savedMeta(dir)?.seq === last() && !underWay());
      assert.equal(savedMeta(dir)!.size, 1_020);

      // A close while a save is under way finishes it and saves the rest: nothing left aside or locked.
      await write(1_020, 1_030);
      await until('a save under way', underWay);
      await write(1_030, 1_035);
      db.transaction(() => indexes.view(identity)).deferred();
      indexes.close();
      assert.deepEqual(readdirSync(join(dir, 'ann')).filter((file) => file.endsWith('.tmp') || file.endsWith('.lock')), []);
      // (A graph may close with the last writes beside it, not yet settled.)
      const closed = savedMeta(dir)!;
      assert.deepEqual({ seq: closed.seq, size: closed.size, index: closed.index }, { seq: last(), size: 1_035, index: kind.saved });
      indexes = open();
      const loaded = db.transaction(() => indexes.view(identity)!).deferred();
      assert.equal(loaded.pending.size, 0);
      for (const seed of [11, 10_151, 10_341]) {
        const hits = db.transaction(() => [...nearestInView(indexes.view(identity)!, vector(seed), 5).keys].map((key) => ids().get(key))).deferred();
        const expected = (await exact.search({ collection: 'ann', mode: 'VECTOR', vector: vector(seed), k: 5 })).map((hit) => hit.chunkId);
        assert.deepEqual(hits, expected, `query ${seed}`);
      }
    } finally {
      indexes.close();
      db.close();
    }
  });

  it('when the saved graph is more than 500 changes behind, should catch up in bulk: every live chunk once, by its latest vector', async () => {
    const path = join(dir, 'store.db');
    const writer = openSqliteStore({ path, searchThreads: false });
    let reader = openSqliteStore({ path, annMinChunks: 0, annFlatMaxChunks: kind.flatMaxChunks, annColumnsUpTo: kind.columnsUpTo });
    stores.push(writer);
    for (let d = 0; d < 5; d++) await index(writer, `doc-${d}`, chunksOf(`doc-${d}`, 'v1', [d * 10 + 1]));
    await reader.search({ collection: 'ann', vector: vector(11), k: 1 });
    await reader.close(); // saved 5 changes in

    // While it is away, far more changes than a search ranks beside the graph: new documents,
    // replaced ones (their old chunks deleted and new ones added in the same stretch), deleted
    // ones, and the highest row id handed out again after its chunk was deleted.
    for (let d = 5; d < 205; d++) await index(writer, `doc-${d}`, chunksOf(`doc-${d}`, 'v1', [d * 10 + 1, d * 10 + 2, d * 10 + 3]));
    for (let d = 5; d < 55; d++) await index(writer, `doc-${d}`, chunksOf(`doc-${d}`, 'v2', [d * 10 + 7]));
    for (let d = 55; d < 75; d++) await writer.deleteDocument('ann', `doc-${d}`);
    await writer.deleteDocument('ann', 'doc-204');
    await index(writer, 'doc-reused', chunksOf('doc-reused', 'v1', [2041]));
    const db = new Database(path, { readonly: true });
    const last = db.prepare('SELECT max(seq) FROM chunk_changes').pluck().get() as number;
    const live = db.prepare("SELECT count(*) FROM chunks WHERE collection = 'ann'").pluck().get() as number;
    db.close();
    assert.ok(last - 5 > 500, `changes while away: ${last - 5}`);

    reader = openSqliteStore({ path, annMinChunks: 0, annFlatMaxChunks: kind.flatMaxChunks, annColumnsUpTo: kind.columnsUpTo });
    stores.push(reader);
    const exact = openSqliteStore({ path, searchThreads: false });
    stores.push(exact);
    await reader.search({ collection: 'ann', vector: vector(11), k: 1 }); // loads the graph; the follower catches up
    const saved = () => savedMeta(dir)!;
    for (const deadline = Date.now() + 20_000; saved().seq !== last && Date.now() < deadline;) await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(saved(), { seq: last, size: live, ...savedAs(kind.saved) });

    for (const seed of [61, 71, 2041, 1001, 12345, 999, 4242]) {
      const query = vector(seed);
      const approximate = await reader.search({ collection: 'ann', mode: 'VECTOR', vector: query, k: 10 });
      const scan = await exact.search({ collection: 'ann', mode: 'VECTOR', vector: query, k: 10 });
      assert.deepEqual(approximate.map((hit) => hit.chunkId), scan.map((hit) => hit.chunkId), `query ${seed}`);
      approximate.forEach((hit, i) => assert.ok(Math.abs(hit.score - scan[i]!.score) < 1e-6, `${hit.chunkId}: ${hit.score} against ${scan[i]!.score}`));
    }
    assert.equal((await reader.search({ collection: 'ann', vector: vector(2041), k: 1 }))[0]?.chunkId, 'doc-reused:v1:0');
  });

  it('when the changes a gateway had not applied were pruned, should rebuild it: fresh hits, never deleted ones', async () => {
    const path = join(dir, 'store.db');
    // Keep 5 changes: every document below writes more than that.
    const writer = openSqliteStore({ path, searchThreads: false, changeRetention: 5 });
    let reader = openSqliteStore({ path, annMinChunks: 0, annFlatMaxChunks: kind.flatMaxChunks, annColumnsUpTo: kind.columnsUpTo });
    stores.push(writer);
    for (let d = 0; d < 10; d++) await index(writer, `doc-${d}`, chunksOf(`doc-${d}`, 'v1', [d * 10 + 1, d * 10 + 2]));
    assert.equal((await reader.search({ collection: 'ann', vector: vector(31), k: 1 }))[0]?.chunkId, 'doc-3:v1:0');
    await reader.close(); // saves its graph at the sequence number it applied

    // While it is away: new, replaced and deleted documents, and their changes pruned.
    for (let d = 10; d < 20; d++) await index(writer, `doc-${d}`, chunksOf(`doc-${d}`, 'v1', [d * 10 + 1, d * 10 + 2]));
    await index(writer, 'doc-4', chunksOf('doc-4', 'v2', [4004]));
    await writer.deleteDocument('ann', 'doc-3');
    const db = new Database(path, { readonly: true });
    const { first, last, rows } = db.prepare('SELECT min(seq) AS first, max(seq) AS last, count(*) AS rows FROM chunk_changes').get() as
      { first: number; last: number; rows: number };
    const pruned = db.prepare("SELECT through_seq FROM chunk_changes_pruned WHERE collection = 'ann'").pluck().get() as number;
    const chunkCount = db.prepare("SELECT count(*) FROM chunks WHERE collection = 'ann'").pluck().get() as number;
    db.close();
    assert.ok(rows <= 6 && first > 20 && pruned === first - 1, JSON.stringify({ first, last, rows, pruned }));

    reader = openSqliteStore({ path, annMinChunks: 0, annFlatMaxChunks: kind.flatMaxChunks, annColumnsUpTo: kind.columnsUpTo });
    const check = async () => {
      assert.equal((await reader.search({ collection: 'ann', vector: vector(151), k: 1 }))[0]?.chunkId, 'doc-15:v1:0');
      assert.equal((await reader.search({ collection: 'ann', vector: vector(4004), k: 1 }))[0]?.chunkId, 'doc-4:v2:0');
      const near = await reader.search({ collection: 'ann', vector: vector(31), k: 50 });
      assert.ok(!near.some((hit) => hit.documentId === 'doc-3' || hit.chunkId.startsWith('doc-4:v1')), JSON.stringify(near.map((h) => h.chunkId)));
      assert.equal(near.length, chunkCount);
    };
    // The first search finds the gap and runs exact; the follower rebuilds and replays in the
    // background meanwhile (searches run exact until it is done), and closing finishes a small one.
    await check();
    await check();
    await reader.close();
    // The saved graph holds exactly the live chunks, at the last change: it was rebuilt, not replayed.
    const meta = readdirSync(join(dir, 'ann')).find((name) => name.endsWith('.json'))!;
    assert.deepEqual(JSON.parse(readFileSync(join(dir, 'ann', meta), 'utf8')), { seq: last, size: chunkCount, ...savedAs(kind.saved) });
  });
});

describe('SqliteStore approximate vector index past the scan\'s limit, and within its memory budget', function () {
  this.timeout(60_000);
  let dir: string;
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'rag-ann-grow-')); });
  afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

  it('when a searched collection holds fewer chunks than the minimum for an index, should search it exactly and keep no index of it, and give it one once it grows to the minimum', async () => {
    const path = join(dir, 'store.db');
    const writer = openSqliteStore({ path, searchThreads: false });
    const exact = openSqliteStore({ path, searchThreads: false });
    const write = async (from: number, to: number) => {
      for (let d = from; d < to; d++) await index(writer, `doc-${d}`, chunksOf(`doc-${d}`, 'v1', [d * 10 + 1, d * 10 + 2]), 'small');
    };
    try {
      await write(0, 10);
      let reader = openSqliteStore({ path, annMinChunks: 30 });
      await assertSameHitsAsExact(reader, exact, 'small', [11, 52, 12345], 3);
      await reader.close();
      assert.equal(savedMeta(dir), null, 'no index of 20 chunks was made, followed or saved');

      await write(10, 15);
      reader = openSqliteStore({ path, annMinChunks: 30 });
      await assertSameHitsAsExact(reader, exact, 'small', [11, 52, 12345], 3);
      await reader.close();
      assert.deepEqual(savedMeta(dir), { seq: 30, size: 30, index: 'flat' }, 'at 30 chunks the collection has its index');
    } finally {
      await writer.close();
      await exact.close();
    }
  });

  it('when a collection outgrows the exact scan while writers replace and delete, should grow a graph beside it that takes over with every live chunk', async () => {
    const path = join(dir, 'store.db');
    const writer = openSqliteStore({ path, searchThreads: false });
    const reader = openSqliteStore({ path, annMinChunks: 0, annFlatMaxChunks: 100 });
    const exact = openSqliteStore({ path, searchThreads: false });
    const saved = () => savedMeta(dir);
    const sameAsExact = () => assertSameHitsAsExact(reader, exact, 'ann', [11, 2041, 3333, 999_999, 12345, 4242], 10);
    try {
      for (let d = 0; d < 10; d++) await index(writer, `doc-${d}`, chunksOf(`doc-${d}`, 'v1', [d * 10 + 1]));
      await reader.search({ collection: 'ann', vector: vector(11), k: 1 }); // holds the scan from now on
      // Far past the limit, then replaced and deleted while the graph grows a step at a time.
      for (let d = 10; d < 410; d++) await index(writer, `doc-${d}`, chunksOf(`doc-${d}`, 'v1', [d * 10 + 1, d * 10 + 2, d * 10 + 3]));
      await sameAsExact();
      for (let d = 10; d < 60; d++) await index(writer, `doc-${d}`, chunksOf(`doc-${d}`, 'v2', [d * 10 + 7]));
      for (let d = 60; d < 90; d++) await writer.deleteDocument('ann', `doc-${d}`);
      // A vector of its own: seed 3333 is doc-333's third chunk too, and a tie may come back either way.
      await index(writer, 'doc-late', chunksOf('doc-late', 'v1', [999_999]));
      await sameAsExact();

      const db = new Database(path, { readonly: true });
      const last = db.prepare('SELECT max(seq) FROM chunk_changes').pluck().get() as number;
      const live = db.prepare("SELECT count(*) FROM chunks WHERE collection = 'ann'").pluck().get() as number;
      db.close();
      for (const deadline = Date.now() + 20_000; saved()?.index !== 'graph' || saved()?.seq !== last;) {
        assert.ok(Date.now() < deadline, `saved: ${JSON.stringify(saved())}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.deepEqual(saved(), { seq: last, size: live, ...savedAs('graph') });
      await sameAsExact();
      assert.equal((await reader.search({ collection: 'ann', vector: vector(999_999), k: 1 }))[0]?.chunkId, 'doc-late:v1:0');
    } finally {
      for (const store of [writer, reader, exact]) await store.close();
    }
  });

  it('when writers get more than 500 changes ahead of a graph, should take them beside it at once, rank them with it (replaced and deleted never), keep them across a restart, and settle them into the graph', async () => {
    const path = join(dir, 'store.db');
    const writer = openSqliteStore({ path, searchThreads: false });
    const exact = openSqliteStore({ path, searchThreads: false });
    const db = new Database(path, { readonly: true });
    sqliteVec.load(db);
    for (let d = 0; d < 40; d++) await index(writer, `doc-${d}`, chunksOf(`doc-${d}`, 'v1', [d * 10 + 1]));
    const row = db.prepare("SELECT id, created_at FROM collections WHERE name = 'ann'").get() as { id: number; created_at: number };
    const identity = { name: 'ann', rowId: row.id, createdAt: row.created_at, dimension: EMBEDDER.dimension };
    const last = () => db.prepare('SELECT max(seq) FROM chunk_changes').pluck().get() as number;
    const live = () => db.prepare("SELECT count(*) FROM chunks WHERE collection = 'ann'").pluck().get() as number;
    const gateway = () => new AnnIndexes(db, join(dir, 'ann'), vectorTableName, { flatMaxChunks: 0 });
    // One snapshot: the view, the graph and the recent vectors as a search sees them.
    const seen = (indexes: AnnIndexes) => db.transaction(() => {
      const view = indexes.view(identity);
      const graph = view?.index instanceof SettlingGraph ? view.index : null;
      return { view, inGraph: graph?.graph.size(), recent: graph?.recent.size() };
    }).deferred();
    const chunkIds = () => new Map((db.prepare('SELECT rowid, id FROM chunks').all() as { rowid: number; id: string }[]).map((r) => [BigInt(r.rowid), r.id]));
    /** The index's hits for each seed are the exact search's, and no replaced or deleted chunk is among them. */
    const sameAsExact = async (indexes: AnnIndexes) => {
      const ids = chunkIds();
      for (const seed of [11, 51, 71, 5_007, 9_001, 9_871, 123_457]) {
        const found = db.transaction(() => [...nearestInView(indexes.view(identity)!, vector(seed), 10).keys].map((key) => ids.get(key))).deferred();
        const expected = (await exact.search({ collection: 'ann', mode: 'VECTOR', vector: vector(seed), k: 10 })).map((hit) => hit.chunkId);
        assert.deepEqual(found, expected, `query ${seed}`);
        assert.ok(!found.some((id) => id === 'doc-5:v1:0' || id?.startsWith('doc-7:')), JSON.stringify(found));
      }
    };
    const untilSaved = async (done: (meta: ReturnType<typeof savedMeta>) => boolean) => {
      for (const deadline = Date.now() + 20_000; !done(savedMeta(dir));) {
        assert.ok(Date.now() < deadline, `saved: ${JSON.stringify(savedMeta(dir))}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    try {
      let indexes = gateway();
      seen(indexes);
      await untilSaved((meta) => meta?.index === 'graph' && meta.seq === last() && meta.recent === 0);
      indexes.close();

      // While no gateway follows: 960 new chunks, one replaced, one deleted.
      await Promise.all(Array.from({ length: 960 }, (_, i) => index(writer, `doc-${40 + i}`, chunksOf(`doc-${40 + i}`, 'v1', [(40 + i) * 10 + 1]))));
      await index(writer, 'doc-5', chunksOf('doc-5', 'v2', [5_007]));
      await writer.deleteDocument('ann', 'doc-7');
      assert.ok(last() > 40 + 500);

      indexes = gateway();
      assert.equal(seen(indexes).view, null, 'more than 500 changes behind: searches run exact');
      // Checked between the follower's steps: each takes up to 64 changes, and once none is left
      // settles 32 recent vectors; the first look after the last change was taken follows at most
      // one more step.
      let taken = seen(indexes);
      while (taken.view === null || taken.view.pending.size > 0) {
        await new Promise((resolve) => setImmediate(resolve));
        taken = seen(indexes);
      }
      assert.equal(taken.view.index.size(), live());
      assert.equal(taken.inGraph! + taken.recent!, live());
      assert.ok(taken.recent! >= 961 - 2 * 32, `vectors waiting beside the graph: ${taken.recent}`);
      await sameAsExact(indexes);
      // Stopped before they settle: saved with the graph, and waiting beside it again after a restart.
      indexes.close();
      const stopped = savedMeta(dir)!;
      assert.ok(stopped.recent! > 0 && stopped.seq === last() && stopped.size === live(), JSON.stringify(stopped));
      indexes = gateway();
      const loaded = seen(indexes);
      assert.equal(loaded.view?.pending.size, 0);
      assert.equal(loaded.recent, stopped.recent);
      await sameAsExact(indexes);

      await untilSaved((meta) => meta?.recent === 0);
      const settled = seen(indexes);
      assert.deepEqual({ inGraph: settled.inGraph, recent: settled.recent }, { inGraph: live(), recent: 0 });
      await sameAsExact(indexes);
      indexes.close();
    } finally {
      db.close();
      await writer.close();
      await exact.close();
    }
  });

  for (const kind of [{ name: 'scan', flatMaxChunks: 1_000_000, saved: 'flat' }, { name: 'graph', flatMaxChunks: 0, saved: 'graph' }] as const) {
    it(`when a ${kind.name} is more than 500 changes behind, should let a search take them itself where that costs less than an exact search, and answer as the exact search does (replaced and deleted never)`, async () => {
      const path = join(dir, 'store.db');
      const writer = openSqliteStore({ path, searchThreads: false });
      const exact = openSqliteStore({ path, searchThreads: false });
      const db = new Database(path, { readonly: true });
      sqliteVec.load(db);
      try {
        for (let d = 0; d < 40; d++) await index(writer, `doc-${d}`, chunksOf(`doc-${d}`, 'v1', [d * 10 + 1]));
        const row = db.prepare("SELECT id, created_at FROM collections WHERE name = 'ann'").get() as { id: number; created_at: number };
        const identity = { name: 'ann', rowId: row.id, createdAt: row.created_at, dimension: EMBEDDER.dimension };
        const last = () => db.prepare('SELECT max(seq) FROM chunk_changes').pluck().get() as number;
        const live = () => db.prepare("SELECT count(*) FROM chunks WHERE collection = 'ann'").pluck().get() as number;
        const first = new AnnIndexes(db, join(dir, 'ann'), vectorTableName, { flatMaxChunks: kind.flatMaxChunks });
        db.transaction(() => first.view(identity)).deferred();
        for (const deadline = Date.now() + 20_000; !(savedMeta(dir)?.index === kind.saved && savedMeta(dir)?.seq === last() && (savedMeta(dir)?.recent ?? 0) === 0);) {
          assert.ok(Date.now() < deadline, `saved: ${JSON.stringify(savedMeta(dir))}`);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        first.close();

        // While no gateway follows: 960 new chunks, one replaced, one deleted.
        await Promise.all(Array.from({ length: 960 }, (_, i) => index(writer, `doc-${40 + i}`, chunksOf(`doc-${40 + i}`, 'v1', [(40 + i) * 10 + 1]))));
        await index(writer, 'doc-5', chunksOf('doc-5', 'v2', [5_007]));
        await writer.deleteDocument('ann', 'doc-7');
        const ids = new Map((db.prepare('SELECT rowid, id FROM chunks').all() as { rowid: number; id: string }[]).map((r) => [BigInt(r.rowid), r.id]));

        // An index of 40 is given the leave of one of 80,000 (40 / 0.02 = 2,000 changes), then of
        // one of 24,000 (600 changes, the rest ranked beside it), as at 1M, where an exact search
        // costs as much as thousands of changes; with the default it may take none and runs exact.
        for (const [name, absorbPerExactChunks, pendingAtMost] of [['all', 40 / 2_000, 0], ['600', 40 / 600, 500], ['default', undefined, -1]] as const) {
          cpSync(join(dir, 'ann'), join(dir, `ann-${name}`), { recursive: true });
          const indexes = new AnnIndexes(db, join(dir, `ann-${name}`), vectorTableName, { flatMaxChunks: kind.flatMaxChunks, absorbPerExactChunks });
          try {
            const view = db.transaction(() => indexes.view(identity)).deferred();
            if (pendingAtMost < 0) {
              assert.equal(view, null, 'more than 500 changes behind: searches run exact');
              continue;
            }
            assert.ok(view !== null, `taking ${name}: the index answers`);
            assert.ok(view.pending.size <= pendingAtMost && (pendingAtMost === 0) === (view.pending.size === 0), `taking ${name}: ${view.pending.size} pending`);
            if (pendingAtMost === 0) assert.equal(view.index.size(), live());
            for (const seed of [11, 51, 71, 5_007, 9_001, 9_871, 123_457]) {
              const found = db.transaction(() => [...nearestInView(indexes.view(identity)!, vector(seed), 10).keys].map((key) => ids.get(key))).deferred();
              const expected = (await exact.search({ collection: 'ann', mode: 'VECTOR', vector: vector(seed), k: 10 })).map((hit) => hit.chunkId);
              assert.deepEqual(found, expected, `taking ${name}, query ${seed}`);
              assert.ok(!found.some((id) => id === 'doc-5:v1:0' || id?.startsWith('doc-7:')), JSON.stringify(found));
            }
          } finally {
            indexes.close();
          }
        }
      } finally {
        db.close();
        await writer.close();
        await exact.close();
      }
    });
  }

  it('when a saved scan is loaded past the limit (stopped while its graph grew), should grow the graph again without any write', async () => {
    const path = join(dir, 'store.db');
    const writer = openSqliteStore({ path, searchThreads: false });
    for (let d = 0; d < 30; d++) await index(writer, `doc-${d}`, chunksOf(`doc-${d}`, 'v1', [d * 10 + 1, d * 10 + 2]));
    await writer.close();
    const meta = () => savedMeta(dir)!;
    let reader = openSqliteStore({ path, annMinChunks: 0 });
    await reader.search({ collection: 'ann', mode: 'VECTOR', vector: vector(11), k: 1 });
    await reader.close();
    assert.deepEqual(meta(), { seq: 60, size: 60, index: 'flat' });

    reader = openSqliteStore({ path, annMinChunks: 0, annFlatMaxChunks: 10 });
    try {
      assert.equal((await reader.search({ collection: 'ann', mode: 'VECTOR', vector: vector(11), k: 1 }))[0]?.chunkId, 'doc-1:v1:0');
      for (const deadline = Date.now() + 10_000; meta().index !== 'graph';) {
        assert.ok(Date.now() < deadline, `saved: ${JSON.stringify(meta())}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.deepEqual(meta(), { seq: 60, size: 60, ...savedAs('graph') });
      assert.equal((await reader.search({ collection: 'ann', mode: 'VECTOR', vector: vector(292), k: 1 }))[0]?.chunkId, 'doc-29:v1:1');
    } finally {
      await reader.close();
    }
  });

  it('when its index cannot be saved, should keep serving from memory, warn once, and wait before trying again', async () => {
    const path = join(dir, 'store.db');
    const writer = openSqliteStore({ path, searchThreads: false });
    for (let d = 0; d < 10; d++) await index(writer, `doc-${d}`, chunksOf(`doc-${d}`, 'v1', [d * 10 + 1]));
    await writer.close();
    // The index's folder would go under a regular file: every save fails, as on a full disk.
    writeFileSync(join(dir, 'blocked'), 'not a folder');
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.message);
    process.on('warning', onWarning);
    const db = new Database(path, { readonly: true });
    sqliteVec.load(db);
    const indexes = new AnnIndexes(db, join(dir, 'blocked', 'ann'), vectorTableName);
    try {
      const row = db.prepare("SELECT id, created_at FROM collections WHERE name = 'ann'").get() as { id: number; created_at: number };
      const identity = { name: 'ann', rowId: row.id, createdAt: row.created_at, dimension: EMBEDDER.dimension };
      const nearest = (seed: number) => db.transaction(() => {
        const view = indexes.view(identity)!;
        return { pending: view.pending.size, key: Number(nearestInView(view, vector(seed), 1).keys[0]!) };
      }).deferred();
      for (let waited = 0; nearest(11).pending > 0; waited += 20) {
        assert.ok(waited < 10_000, 'the follower did not catch up');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      indexes.saveAll();
      indexes.saveAll(); // within the wait before trying again: not tried
      await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
      assert.equal(warnings.filter((message) => message.includes('collection "ann" was not saved')).length, 1, JSON.stringify(warnings));
      const found = nearest(51);
      assert.equal(db.prepare('SELECT id FROM chunks WHERE rowid = ?').pluck().get(found.key), 'doc-5:v1:0', 'still answering from memory');
      assert.doesNotThrow(() => indexes.close());
    } finally {
      process.off('warning', onWarning);
      db.close();
    }
  });

  it('when its data folder was removed while it runs, should not make the folder again when saving', async () => {
    const data = join(dir, 'data');
    const { db, indexes } = await savingReader(join(data, 'store.db'), join(data, 'ann'));
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.message);
    process.on('warning', onWarning);
    try {
      // As a bench's clean-up, or an operator, removes the folder under the running gateway.
      rmSync(data, { recursive: true, force: true });
      indexes.saveAll();
      await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
      assert.ok(!existsSync(data), 'the data folder stays removed');
      assert.equal(warnings.filter((message) => message.includes('collection "ann" was not saved')).length, 1, JSON.stringify(warnings));
    } finally {
      process.off('warning', onWarning);
      indexes.close();
      db.close();
    }
  });

  it('when another gateway on the same folder is saving the collection, should put its own save off until that one is done, and take over a lock left long ago', async () => {
    const path = join(dir, 'store.db');
    const { db, indexes, identity } = await savingReader(path, join(dir, 'ann'));
    try {
      // What another gateway's save holds while it writes this collection's files.
      const lock = join(dir, 'ann', `c${identity.rowId}-${identity.createdAt}-${EMBEDDER.dimension}-i8f32.json.lock`);
      mkdirSync(join(dir, 'ann'), { recursive: true });
      writeFileSync(lock, '12345');
      indexes.saveAll();
      assert.equal(savedMeta(dir), null, 'nothing written beside the other save');
      assert.ok(existsSync(lock), 'the other saver\'s lock is left alone');

      rmSync(lock);
      await new Promise((resolve) => setTimeout(resolve, 1100)); // the wait before trying again
      indexes.saveAll();
      assert.deepEqual(savedMeta(dir), { seq: 10, size: 10, index: 'flat' });
      assert.ok(!existsSync(lock), 'released after saving');

      // A lock whose saver died mid-save, minutes ago: taken over.
      const lateWriter = openSqliteStore({ path, searchThreads: false });
      await index(lateWriter, 'doc-late', chunksOf('doc-late', 'v1', [999_777]));
      await lateWriter.close();
      await followerCaughtUp(db, indexes, identity);
      writeFileSync(lock, '12345');
      const longAgo = new Date(Date.now() - 10 * 60_000);
      utimesSync(lock, longAgo, longAgo);
      await new Promise((resolve) => setTimeout(resolve, 1100));
      indexes.saveAll();
      assert.deepEqual(savedMeta(dir), { seq: 11, size: 11, index: 'flat' });
      assert.ok(!existsSync(lock));
    } finally {
      indexes.close();
      db.close();
    }
  });

  it('when a search opens more collections than the budget holds, should save and drop the least recently searched, and answer from it again when searched', async () => {
    const path = join(dir, 'store.db');
    const writer = openSqliteStore({ path, searchThreads: false });
    const names = ['first', 'second', 'third'];
    for (const [c, name] of names.entries()) {
      for (let d = 0; d < 20; d++) await index(writer, `doc-${d}`, chunksOf(`${name}-${d}`, 'v1', [c * 1000 + d * 10 + 1, c * 1000 + d * 10 + 2]), name);
    }
    const db = new Database(path, { readonly: true });
    sqliteVec.load(db);
    // 40 vectors of 16 dimensions take ~40 KB with their scan, as estimated: room for two collections, not three.
    const indexes = new AnnIndexes(db, join(dir, 'ann'), vectorTableName, { flatMaxChunks: 1_000_000, budgetBytes: 90_000 });
    try {
      const identity = (name: string) => {
        const row = db.prepare('SELECT id, created_at FROM collections WHERE name = ?').get(name) as { id: number; created_at: number };
        return { name, rowId: row.id, createdAt: row.created_at, dimension: EMBEDDER.dimension };
      };
      const caughtUp = async (name: string) => {
        for (let waited = 0; db.transaction(() => indexes.view(identity(name))!.pending.size).deferred() > 0; waited += 20) {
          assert.ok(waited < 10_000, `the follower did not catch up with ${name}`);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      };
      const nearest = (name: string, seed: number) => db.transaction(() => {
        const matches = nearestInView(indexes.view(identity(name))!, vector(seed), 1);
        return db.prepare('SELECT id FROM chunks WHERE rowid = ?').pluck().get(Number(matches.keys[0]!)) as string;
      }).deferred();

      await caughtUp('first');
      await caughtUp('second');
      assert.deepEqual(indexes.held(), ['first', 'second']);
      await caughtUp('third');
      assert.deepEqual(indexes.held(), ['second', 'third'], 'the least recently searched was dropped');
      // Saved when dropped: its file holds every change it had applied.
      const saved = readdirSync(join(dir, 'ann')).filter((name) => name.endsWith('.json'))
        .map((name) => JSON.parse(readFileSync(join(dir, 'ann', name), 'utf8')) as { seq: number; size: number });
      assert.ok(saved.some((meta) => meta.size === 40), JSON.stringify(saved));

      // Searched again: loaded from its files (nothing pending), the same answers; another one goes.
      assert.equal(nearest('first', 51), 'first-5:v1:0');
      assert.equal(db.transaction(() => indexes.view(identity('first'))!.pending.size).deferred(), 0, 'loaded at the sequence number it was saved at');
      assert.deepEqual(indexes.held(), ['third', 'first']);
      assert.equal(nearest('second', 1000 + 72), 'second-7:v1:1');
      assert.deepEqual(indexes.held(), ['first', 'second']);
    } finally {
      indexes.close();
      db.close();
      await writer.close();
    }
  });
});
