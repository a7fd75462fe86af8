/**
 * The approximate vector index of the embedded store (issue 14), one per collection, held by each
 * search thread: an exact int8 scan while the collection holds up to FLAT_MAX_CHUNKS chunks, then
 * a usearch HNSW graph, built beside the scan in the background and taking over once complete. It
 * follows the `chunk_changes` sequence that every chunk write and delete appends to in its own
 * transaction. SQLite stays the source of truth:
 *
 * - fresh: the thread follows the sequence in the background, a few changes per step between
 *   searches, so the index stays a few milliseconds behind the writers; a search ranks what was
 *   committed since the last step (at most CATCH_UP_BUDGET changes) beside the index's matches
 *   (ann-view.ts) without waiting to insert it; an index further behind first takes as many
 *   changes itself as cost what an exact search would (absorbInSearch), and one still further
 *   behind is not used: that search runs exact, so nothing committed is ever missing. A graph takes each change beside
 *   itself, as a copy into a scan of its recent vectors, and settles them into the graph when no
 *   change waits (settling-graph.ts), so writers faster than its inserts do not leave it behind;
 * - never stale: a search reads the unapplied changes, their vectors and the chunk rows in one
 *   read transaction (run-search.ts) and never uses the index's entry for a changed chunk, so it
 *   answers for exactly the snapshot the rows come from: a deleted or replaced chunk is never
 *   returned, even while writers commit meanwhile;
 * - persisted: the index is saved with its sequence number under `<db dir>/ann/`, so a restart
 *   loads it and applies only what changed since; the follower writes a save's vectors a step at
 *   a time between searches (saveStep);
 * - pruned safely: writers remove old changes (change-log.ts) and record how far; an index whose
 *   sequence number is below that mark may have missed a removed change, so it starts anew from
 *   the chunks table (in budgeted steps, searching exactly meanwhile) and then replays the
 *   changes after the sequence number it read before the scan.
 *
 * A query with few non-zero components (the hashing embedder's short queries) takes its
 * candidates instead from int8 columns of the same vectors (vector-columns.ts), exactly, at any size.
 *
 * Scan and graph hold int8 vectors, and each collection's float32 vectors are kept beside them in
 * memory (float-vectors.ts): their candidates are scored again exactly from those, so scores are
 * exact and a search reads no stored vector back from SQLite (re-scoring from sqlite-vec took
 * 30–50 ms at 100k: one vec0 point read is ~0.2 ms). On distinct texts at 100k an int8 graph
 * inserts 1.8 times faster than the float32 graph before it, with twice the build breadth, and its
 * searches are faster and find more (GRAPH_PARAMETERS).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { createRequire } from 'node:module';
import type { AnnView } from './ann-view.ts';
import { CHANGE_RETENTION, prunedThrough } from './change-log.ts';
import { FloatVectors, type FloatVectorsWrite } from './float-vectors.ts';
import { FlatIndex } from './flat-index.ts';
import { takeSaveLock } from './save-lock.ts';
import { addToGraph, SettlingGraph, type Graph } from './settling-graph.ts';
import { columnsUpTo, VectorColumns } from './vector-columns.ts';

// The CommonJS build: the ESM build finds its native binary by walking up from a stack-trace file
// name, which loops forever inside a worker thread booted from eval (as the search workers are).
const usearch = createRequire(import.meta.url)('usearch') as typeof import('usearch');

/**
 * What a collection's candidates come from: an exact int8 scan while it is small, then a graph
 * with the vectors not settled into it yet beside it (settling-graph.ts).
 */
type VectorIndex = FlatIndex | SettlingGraph;

/**
 * Collections up to this many chunks are searched by an exact int8 scan (flat-index.ts); past it
 * a graph is built beside the scan in the background and takes over once it holds every chunk.
 * On distinct texts (`npm run bench:ann`, one thread, `bench/results/ann-2026-12-05T23-18-22-138Z`
 * and `…23-25-09-733Z`): at 100k a scan takes 3.8 ms and its best 20 hold every true top 10
 * (recall@10 1.0), where the graph's search takes 6.9 ms and finds 0.96; at 250k the scan takes
 * 8.3 ms and still finds every one, the graph 10.4 ms and 0.92 (after 249 s of building on both
 * cores). A scan's time grows with the collection and a graph's far less, so the limit keeps the
 * scan within the 10 ms an idle search is allowed.
 */
export const FLAT_MAX_CHUNKS = 250_000;
/** Memory the indexes of one search thread may take by default (ANN_INDEX_MB), in MB. */
export const DEFAULT_ANN_INDEX_MB = 4096;
/**
 * Estimated bytes of memory per vector beyond its values, for the budget: a float32 vector's own
 * allocation, view object, map entry and key, and a scan's key, slot and spare capacity (resident
 * memory measured over 100k × 384 vectors added one at a time, as the follower adds them: 2,280
 * and 570 bytes each); a graph node's links at its base layer (32 links each way, 4 bytes each,
 * and its key), which with the int8 values match the 66 MB a saved graph takes at 100k × 384.
 */
const FLOAT_VECTOR_OVERHEAD = 750;
const SCAN_SLOT_OVERHEAD = 190;
const GRAPH_NODE_OVERHEAD = 280;
/** Chunks a growing graph takes per background step (a search that arrives meanwhile waits for it). */
const GROW_STEP = 32;

/** Unapplied changes a search ranks beside the index (more: exact search until the follower catches up). */
const CATCH_UP_BUDGET = 500;
/**
 * Chunks an exact search scans in the time an index takes one change (absorbInSearch): at 1M an
 * exact search takes ~600 ms, and a change of recent writes ~0.02 ms (a search took 1,660 into a
 * graph in 31 ms after a save in bench:search's writes into the searched collection).
 */
const ABSORB_PER_EXACT_CHUNKS = 32;
/**
 * Changes (or rebuild rows) applied per background step. A search that arrives during a step waits
 * for it: 16 changes are ~15 ms at 0.9 ms each (reading the vector and inserting it into a graph
 * of 100k distinct texts on one thread, before inserts went on every core; 32 float32 inserts had
 * taken ~40 ms there). Applying the changes inside
 * the searches instead made each search during full-speed ingestion insert the ~30 chunks written
 * since the one before: VECTOR p95 126 ms through the API at 100k chunks against 6.7 ms idle.
 */
const FOLLOW_STEP = 16;
/**
 * Changes (or rebuild rows) applied per step while searches run exact anyway: the index is
 * rebuilding or more than CATCH_UP_BUDGET changes behind. A search still waits for the step: on
 * two cores about 130 ms at 100k distinct texts and 310 at 1M (a catch-up's time over its steps
 * in bench:search), against an exact search's 75 and 700 ms there.
 */
const BULK_STEP = 256;
/**
 * Changes a graph's follower takes per step: each is a vector read (~0.2 ms) and copied beside
 * the graph, so a step stays within FOLLOW_STEP's ~15 ms and the follower takes changes faster
 * than writers make them (two writers at 900 chunks/s in bench:search).
 */
const ABSORB_STEP = 64;
/**
 * Recent vectors settled into the graph per background step, after the follower has taken every
 * change: 32 parallel inserts are ~13 ms at 1M distinct texts on two cores.
 */
const SETTLE_STEP = 32;
/**
 * Vectors put into a collection's columns per background step while they are first filled: ~3.4
 * µs each at 384 dimensions (1M in 3.4 s), so a step stays within FOLLOW_STEP's ~15 ms.
 */
const COLUMN_FILL_STEP = 4000;
/** How often a caught-up follower looks for new changes. */
const FOLLOW_INTERVAL_MS = 20;
/**
 * Save the index after this many applied changes, or a tenth of its size if more (and when the
 * thread closes), up to half the changes writers keep by default (CHANGE_RETENTION), so a restart
 * replays what it lacks instead of rebuilding. A save writes the whole index and holds the search
 * thread meanwhile: at 1M (2.2 GB) 1–2 s on an idle machine and up to 8 s beside writers, every
 * 22 s of 900 chunks/s at 20,000 changes, after which the follower was thousands of changes behind.
 */
const SAVE_EVERY_CHANGES = 20_000;
const SAVE_EVERY_SHARE = 0.1;
/**
 * And once the writers have been quiet this long with changes unsaved: a graph is not written
 * (181 MB at 100k chunks) after every few changes of steady ingestion, yet what a burst added is
 * on disk soon after it, for a restart or another gateway on the same directory.
 */
const SAVE_WHEN_QUIET_MS = 2000;
/**
 * Bytes of float32 vectors a save writes per follower step (a copy and a write to the page cache,
 * a few ms): at 1M the vectors are 1.5 GB, and written in one go they held the search thread ~1 s
 * more on an idle machine, beside the graph's ~0.5 s.
 */
const SAVE_STEP_BYTES = 8 << 20;
/** After a save fails, how long before the next attempt (each attempt writes the whole index). */
const SAVE_RETRY_MS = 60_000;
/** After finding another gateway saving the same collection (stores/sqlite/save-lock.ts), how long before trying again. */
const SAVE_LOCKED_RETRY_MS = 1000;

export interface AnnIndexOptions {
  /** The largest collection searched by an exact scan instead of a graph (FLAT_MAX_CHUNKS). */
  readonly flatMaxChunks?: number;
  /** The most non-zero components of a query scored by columns (default: columnsUpTo of vector-columns.ts). */
  readonly columnsUpTo?: number;
  /**
   * The memory this thread's indexes may take; past it the least recently searched are saved and
   * dropped (the collection being searched is kept whatever its size).
   */
  readonly budgetBytes?: number;
  /** ABSORB_PER_EXACT_CHUNKS and SAVE_STEP_BYTES: tests shrink them to reach them with small indexes. */
  readonly absorbPerExactChunks?: number;
  readonly saveStepBytes?: number;
}

/**
 * What a store hands its vector search thread about the approximate index: the collection size
 * from which it is used, and the options it is made with.
 */
export type AnnSettings = Pick<AnnIndexOptions, 'flatMaxChunks' | 'columnsUpTo' | 'budgetBytes'> & { readonly minChunks: number };

/** A collection as the index knows it; a deleted and re-created collection gets a new identity. */
export interface CollectionIdentity {
  readonly name: string;
  readonly rowId: number;
  readonly createdAt: number;
  readonly dimension: number;
}

interface Entry {
  readonly identity: CollectionIdentity;
  index: VectorIndex;
  /**
   * The graph being built beside a scan that outgrew its limit: every key the scan held when it
   * started, added a step at a time; changes applied meanwhile go to both.
   */
  growing: { readonly graph: Graph; readonly keys: BigUint64Array; next: number } | null;
  /** The float32 vectors of the index's keys, which score its candidates exactly. */
  vectors: FloatVectors;
  /**
   * The same vectors as int8 columns (vector-columns.ts), asked for by the first search with few
   * non-zero components and kept beside the vectors from then on; null until then. The follower
   * fills them from the vectors a step at a time (`filling`, null once done: at 1M × 384 they take
   * ~3.4 s to make, which no search should wait for), while every change applied meanwhile goes to
   * them too; searches use the index until they are full.
   */
  columns: { readonly columns: VectorColumns; filling: Iterator<[bigint, Float32Array]> | null } | null;
  seq: number;
  unsaved: number;
  /** When a change was last applied (performance.now()). */
  changedAt: number;
  /** When a search last viewed the index (performance.now()): the least recently used goes first. */
  usedAt: number;
  /** No save is tried before this (performance.now()), after one failed. */
  saveRetryAt: number;
  /** A save the follower is writing a step at a time, if one is under way. */
  saving: Saving | null;
  /** While rebuilding from the chunks table: the changes to replay after, and the last chunk row added. */
  rebuild: { readonly seq: number; afterRowId: number } | null;
  /**
   * The vectors of changed chunks not yet applied, each with the sequence number of the change it
   * follows. A vec0 point read costs ~0.2 ms, and every search reads the vector of every unapplied
   * change (up to CATCH_UP_BUDGET) while the follower reads them again: during ingestion into the
   * searched collection that was most of a search (VECTOR p95 296 ms at 900 chunks/s in
   * bench:search; 27 ms kept here in the same run, though at that pace the follower keeps up only
   * on a fast stretch of the machine: README). A chunk's vector after a given change never
   * differs, so it is read once and kept until applied.
   */
  changed: Map<bigint, { readonly seq: number; readonly vector: Float32Array | null }>;
}

/**
 * A save under way (AnnIndexes.startSave): its graph and meta are taken, its float32 vectors are
 * written a step at a time, and it holds the collection's save lock until they are in place.
 */
interface Saving {
  readonly files: { readonly graph: string; readonly vectors: string; readonly meta: string };
  readonly suffix: string;
  readonly hasGraph: boolean;
  readonly meta: SavedMeta;
  /** The changes applied when it started: those applied since stay unsaved once it is done. */
  readonly changes: number;
  readonly vectors: FloatVectorsWrite;
  readonly releaseLock: () => void;
}

/** What the meta file beside a saved index says. */
interface SavedMeta {
  readonly seq: number;
  readonly size: number;
  readonly index?: 'flat' | 'graph';
  /** Of `size`, the vectors saved while they waited beside the graph (not yet in it). */
  readonly recent?: number;
}
interface ChangeRow { readonly seq: number; readonly chunk_rowid: number; readonly op: number }
interface VectorRow { readonly rowid: number; readonly embedding: Buffer }

export class AnnIndexes {
  private readonly entries = new Map<string, Entry>();
  private followTimer: NodeJS.Timeout | null = null;
  private closed = false;

  /** `dir`: where indexes are saved, or null to keep them in memory only. */
  /** Fixed SQL, prepared once per connection: apply() runs before every approximate search. */
  private readonly changesAfter: Database.Statement;
  private readonly collectionRow: Database.Statement;
  private readonly lastSeq: Database.Statement;
  /** Per index: searches read changed chunks' vectors, and the follower every one it applies. */
  private readonly vectorStatements = new WeakMap<Entry, Database.Statement>();

  private readonly flatMaxChunks: number;
  private readonly columnsUpTo: number | undefined;
  private readonly budgetBytes: number;
  private readonly absorbPerExactChunks: number;
  private readonly saveStepBytes: number;

  constructor(
    private readonly db: Database.Database,
    private readonly dir: string | null,
    private readonly vectorTable: (rowId: number) => string,
    options: AnnIndexOptions = {},
  ) {
    this.flatMaxChunks = options.flatMaxChunks ?? FLAT_MAX_CHUNKS;
    this.columnsUpTo = options.columnsUpTo;
    this.budgetBytes = options.budgetBytes ?? DEFAULT_ANN_INDEX_MB * 1024 * 1024;
    this.absorbPerExactChunks = options.absorbPerExactChunks ?? ABSORB_PER_EXACT_CHUNKS;
    this.saveStepBytes = options.saveStepBytes ?? SAVE_STEP_BYTES;
    this.changesAfter = db.prepare('SELECT seq, chunk_rowid, op FROM chunk_changes WHERE collection = ? AND seq > ? ORDER BY seq LIMIT ?');
    this.collectionRow = db.prepare('SELECT id, created_at FROM collections WHERE name = ?');
    // The last sequence number ever given, even when every change up to it was pruned.
    this.lastSeq = db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'chunk_changes'").pluck();
  }

  /**
   * The collection's index with the changes it has not applied yet (ann-view.ts), or null while
   * it is rebuilding or more than CATCH_UP_BUDGET changes behind (the caller searches exactly).
   * Applying is left to the background follower, except that an index further behind takes what
   * costs less than the exact search would (absorbInSearch). Call it inside the search's read
   * transaction, so the changes and vectors it reads are the ones the search's chunk rows come from.
   */
  view(identity: CollectionIdentity): AnnView | null {
    const entry = this.entry(identity);
    entry.usedAt = performance.now();
    if (entry.rebuild !== null) return null;
    let changes = this.unapplied(entry, CATCH_UP_BUDGET);
    if (changes !== null && changes.length > CATCH_UP_BUDGET && entry.growing === null) {
      this.absorbInSearch(entry);
      changes = this.unapplied(entry, CATCH_UP_BUDGET);
    }
    if (changes === null || changes.length > CATCH_UP_BUDGET) return null;
    const pending = new Map<bigint, Float32Array | null>();
    for (const [key, seq] of lastChanges(changes)) pending.set(key, this.vectorAfter(entry, key, seq));
    return { index: entry.index, vectors: entry.vectors, columnsUpTo: this.columnsUpTo ?? columnsUpTo(entry.identity.dimension), columns: () => this.columnsOf(entry), pending };
  }

  /** The entry's vectors as columns once they are full; the first call starts filling them in the background. */
  private columnsOf(entry: Entry): VectorColumns | null {
    if (entry.columns === null) {
      entry.columns = { columns: new VectorColumns(entry.identity.dimension, entry.vectors.size), filling: entry.vectors.entries() };
      this.follow(0);
    }
    return entry.columns.filling === null ? entry.columns.columns : null;
  }

  /**
   * Fills the columns with the next COLUMN_FILL_STEP vectors; true when every one is in. A Map's
   * iterator goes on past changes: a vector replaced or added since is visited (again) with its
   * value now, and a deleted one is skipped (the change took it out of the columns too).
   */
  private fillColumnsStep(entry: Entry, columns: NonNullable<Entry['columns']>): boolean {
    for (let i = 0; i < COLUMN_FILL_STEP && columns.filling !== null; i++) {
      const next = columns.filling.next();
      if (next.done) columns.filling = null;
      else columns.columns.set(next.value[0], next.value[1]);
    }
    return columns.filling === null;
  }

  /**
   * Takes the changes the follower has not, up to as many as cost what an exact search of the
   * collection would (ABSORB_PER_EXACT_CHUNKS), in the search's snapshot. A change costs a scan,
   * or a graph taking it beside itself, a vector read and a copy (not a graph growing beside a
   * scan: that is an insert, ~0.8 ms at 1M), so the search pays once what it would otherwise pay
   * again and again: found behind (after a save held the thread, or while writers outrun the
   * follower's steps between searches), every search ran exact, and the follower took one step
   * between two of them, fewer changes than the writers added meanwhile.
   */
  private absorbInSearch(entry: Entry): void {
    const budget = Math.floor(entry.index.size() / this.absorbPerExactChunks);
    if (budget > CATCH_UP_BUDGET) this.apply(entry, budget);
  }

  /**
   * The chunk's vector in this snapshot (none: deleted), whose last change is `seq`: read once per
   * change, then kept until the follower has applied it.
   */
  private vectorAfter(entry: Entry, key: bigint, seq: number): Float32Array | null {
    const known = entry.changed.get(key);
    if (known !== undefined && known.seq === seq) return known.vector;
    const vector = this.vectorNow(entry, key);
    entry.changed.set(key, { seq, vector });
    return vector;
  }

  /** The chunk's vector in the current snapshot, or null when it is gone. */
  private vectorNow(entry: Entry, key: bigint): Float32Array | null {
    const blob = this.vectorOf(entry).get(key) as Buffer | undefined;
    return blob === undefined ? null : toVector(blob);
  }

  /** Saves every index with changes (called when the thread closes). */
  saveAll(): void {
    for (const entry of this.entries.values()) this.saveNow(entry);
  }

  /**
   * Finishes a save under way, then saves what it lacks. An index half rebuilt is not saved: its
   * sequence number would claim changes it lacks.
   */
  private saveNow(entry: Entry): void {
    if (entry.saving !== null) this.finishSave(entry, entry.saving);
    if (entry.unsaved > 0 && entry.rebuild === null) this.save(entry);
  }

  /**
   * Stops following and saves. What searches ranked beside the index without applying is applied
   * first, and a rebuild or a growing graph taken one step further (CATCH_UP_BUDGET changes or rows
   * a graph, ~450 ms at most), so the next start loads that work instead of redoing it.
   */
  close(): void {
    if (this.followTimer) clearTimeout(this.followTimer);
    this.followTimer = null;
    this.closed = true;
    for (const entry of this.entries.values()) {
      if (this.apply(entry, CATCH_UP_BUDGET) && entry.growing !== null) this.growStep(entry, CATCH_UP_BUDGET);
    }
    this.saveAll();
  }

  private entry(identity: CollectionIdentity): Entry {
    const existing = this.entries.get(identity.name);
    if (existing && sameIdentity(existing.identity, identity)) return existing;
    if (existing) {
      // The collection was deleted and built again: its old index means nothing now.
      this.entries.delete(identity.name);
      this.abandonSave(existing);
      this.removeFiles(existing.identity);
    }
    const entry = this.load(identity)
      ?? { identity, index: new FlatIndex(identity.dimension), growing: null, vectors: new FloatVectors(identity.dimension), columns: null, seq: 0, unsaved: 0, changedAt: 0, usedAt: performance.now(), saveRetryAt: 0, saving: null, rebuild: null, changed: new Map() };
    this.entries.set(identity.name, entry);
    this.keepWithinBudget();
    this.follow(0);
    return entry;
  }

  /** Whether this thread holds an index of the collection now (not of an earlier one of its name). */
  holds(identity: CollectionIdentity): boolean {
    const entry = this.entries.get(identity.name);
    return entry !== undefined && sameIdentity(entry.identity, identity);
  }

  /** The collections whose indexes this thread holds now, least recently searched first. */
  held(): string[] {
    return [...this.entries.values()].sort((a, b) => a.usedAt - b.usedAt).map((entry) => entry.identity.name);
  }

  /**
   * Saves and drops the least recently searched indexes until the rest fit the budget, keeping the
   * most recently searched (or just made) whatever it takes: each collection a client searches
   * would otherwise stay in memory (~300 MB at 100k chunks) for as long as the gateway runs. A
   * dropped index is loaded again from its files when next searched.
   */
  private keepWithinBudget(): void {
    let total = 0;
    for (const entry of this.entries.values()) total += heldBytes(entry);
    const leastRecentFirst = [...this.entries.values()].sort((a, b) => a.usedAt - b.usedAt);
    for (const entry of leastRecentFirst.slice(0, -1)) {
      if (total <= this.budgetBytes) return;
      total -= heldBytes(entry);
      this.saveNow(entry);
      this.entries.delete(entry.identity.name);
    }
  }

  /**
   * The index's next changes, up to `budget` + 1 (so the caller sees whether more wait), or null
   * when changes it never applied were pruned: a rebuild is then started.
   */
  private unapplied(entry: Entry, budget: number): ChangeRow[] | null {
    const changes = this.changesAfter.all(entry.identity.name, entry.seq, budget + 1) as ChangeRow[];
    // Checked after the read: pruning committed before it may have removed changes the read lacks.
    const pruned = prunedThrough(this.db, entry.identity.name);
    if (entry.seq < pruned) {
      this.startRebuild(entry);
      return null;
    }
    return changes;
  }

  /** The statement reading one chunk's vector of the index's collection, prepared once per index. */
  private vectorOf(entry: Entry): Database.Statement {
    let statement = this.vectorStatements.get(entry);
    if (statement === undefined) {
      statement = this.db.prepare(`SELECT embedding FROM ${this.vectorTable(entry.identity.rowId)} WHERE rowid = ?`).pluck();
      this.vectorStatements.set(entry, statement);
    }
    return statement;
  }

  /**
   * Applies up to `budget` changes (or rebuild rows), or BULK_STEP while the index is so far behind
   * that searches run exact anyway; true when none are left.
   */
  private apply(entry: Entry, budget: number): boolean {
    if (entry.rebuild !== null) return this.rebuildStep(entry, Math.max(budget, BULK_STEP)) && this.apply(entry, budget);
    const changes = this.unapplied(entry, Math.max(budget, CATCH_UP_BUDGET));
    if (changes === null) return false;
    const step = changes.length > CATCH_UP_BUDGET ? Math.max(budget, BULK_STEP) : budget;
    const batch = changes.slice(0, step);
    if (batch.length > 0) {
      // Each changed chunk once, with its vector in this snapshot (none: deleted since). When the
      // changes read are all there are, each chunk's last one is known, and so is its vector if a
      // search read it already; further behind, searches run exact and read none.
      const last = changes.length <= CATCH_UP_BUDGET ? lastChanges(changes) : null;
      const latest = new Map<bigint, Float32Array | null>();
      for (const change of batch) {
        const key = BigInt(change.chunk_rowid);
        if (latest.has(key)) continue;
        latest.set(key, last === null ? this.vectorNow(entry, key) : this.vectorAfter(entry, key, last.get(key)!));
      }
      this.replace(entry, latest);
      entry.seq = batch.at(-1)!.seq;
      for (const [key, known] of entry.changed) if (known.seq <= entry.seq) entry.changed.delete(key);
      entry.unsaved += batch.length;
      entry.changedAt = performance.now();
    }
    return changes.length <= step;
  }

  /**
   * Puts each chunk's vector in the index (as int8) and beside it (as float32), in place of what
   * the key held (a rowid can be reused after a delete); a null vector only removes the key. A
   * graph growing beside the scan takes the same changes; a scan past its limit starts one.
   */
  private replace(entry: Entry, vectors: ReadonlyMap<bigint, Float32Array | null>): void {
    const keys: bigint[] = [];
    const flat = new Float32Array(vectors.size * entry.identity.dimension);
    for (const [key, vector] of vectors) {
      // Both kinds of index ignore a key they do not hold; a raw graph (growing) would not.
      entry.index.remove(key);
      if (entry.growing?.graph.contains(key)) entry.growing.graph.remove(key);
      entry.vectors.delete(key);
      entry.columns?.columns.delete(key);
      if (vector === null) continue;
      flat.set(vector, keys.length * entry.identity.dimension);
      keys.push(key);
      entry.vectors.set(key, vector);
      entry.columns?.columns.set(key, vector);
    }
    if (keys.length > 0) entry.index.add(BigUint64Array.from(keys), flat.subarray(0, keys.length * entry.identity.dimension));
    if (entry.growing !== null) addToGraph(entry.growing.graph, keys, flat, entry.identity.dimension);
    else if (entry.index instanceof FlatIndex && entry.index.size() > this.flatMaxChunks) {
      entry.growing = growthBeside(entry.index, entry.identity.dimension);
    }
  }

  /**
   * Adds the next `budget` keys the scan held when the graph was started (each one it still holds
   * and the graph lacks), by its vector now; once every one is added, the graph replaces the scan
   * and is saved. True when it has.
   */
  private growStep(entry: Entry, budget: number): boolean {
    const growing = entry.growing!;
    const keys: bigint[] = [];
    const flat = new Float32Array(budget * entry.identity.dimension);
    while (keys.length < budget && growing.next < growing.keys.length) {
      const key = growing.keys[growing.next++]!;
      const vector = entry.vectors.get(key);
      if (vector === undefined || growing.graph.contains(key)) continue;
      flat.set(vector, keys.length * entry.identity.dimension);
      keys.push(key);
    }
    addToGraph(growing.graph, keys, flat, entry.identity.dimension);
    if (growing.next < growing.keys.length) return false;
    entry.index = new SettlingGraph(growing.graph, entry.identity.dimension);
    entry.growing = null;
    this.save(entry);
    return true;
  }

  /**
   * Starts a new index (a scan) from the chunks table. Every change up to the last sequence number read
   * now is already in the chunks the scan will read, and later ones are replayed after it; a chunk
   * written or deleted during the scan is put right by its replayed change.
   */
  private startRebuild(entry: Entry): void {
    entry.index = new FlatIndex(entry.identity.dimension);
    entry.growing = null;
    entry.vectors = new FloatVectors(entry.identity.dimension);
    // Columns in use are made again with the vectors, chunk by chunk, both empty now.
    if (entry.columns !== null) entry.columns = { columns: new VectorColumns(entry.identity.dimension), filling: null };
    entry.changed.clear();
    entry.rebuild = { seq: (this.lastSeq.get() as number | undefined) ?? 0, afterRowId: 0 };
    entry.unsaved = 0;
  }

  /** Adds up to `budget` chunks in rowid order; true when the scan is done and replay may start. */
  private rebuildStep(entry: Entry, budget: number): boolean {
    const rebuild = entry.rebuild!;
    const rows = this.db.prepare(
      `SELECT c.rowid AS rowid, v.embedding AS embedding FROM chunks c JOIN ${this.vectorTable(entry.identity.rowId)} v ON v.rowid = c.rowid
       WHERE c.collection = ? AND c.rowid > ? ORDER BY c.rowid LIMIT ?`,
    ).all(entry.identity.name, rebuild.afterRowId, budget) as VectorRow[];
    this.replace(entry, new Map(rows.map((row) => [BigInt(row.rowid), toVector(row.embedding)])));
    if (rows.length === budget) {
      rebuild.afterRowId = rows.at(-1)!.rowid;
      return false;
    }
    entry.seq = rebuild.seq;
    entry.rebuild = null;
    // Saved at once: a restart loads the rebuilt index instead of scanning the chunks again.
    this.save(entry);
    return true;
  }

  /**
   * Follows the change sequence of every index this thread holds, one small step at a time: the
   * next step comes at once while an index is behind (searches queued in the port run between
   * steps), otherwise after FOLLOW_INTERVAL_MS. Following comes first: a graph growing beside its
   * scan takes a step only while the follower is caught up, so under writes faster than the
   * follower the scan answers for longer, and grows slower a query, instead of falling behind.
   */
  private follow(delayMs: number): void {
    if (this.followTimer || this.closed) return;
    this.followTimer = setTimeout(() => {
      this.followTimer = null;
      let behind = false;
      for (const entry of [...this.entries.values()]) {
        if (!this.collectionStillExists(entry.identity)) {
          // Deleted (or deleted and made again, which the next search's entry() sees): drop the index.
          this.entries.delete(entry.identity.name);
          this.abandonSave(entry);
          this.removeFiles(entry.identity);
          continue;
        }
        if (entry.saving !== null && !this.saveStep(entry, entry.saving)) behind = true;
        const settling = entry.index instanceof SettlingGraph ? entry.index : null;
        if (!this.apply(entry, settling !== null ? ABSORB_STEP : FOLLOW_STEP)) behind = true;
        else if (settling !== null && settling.recent.size() > 0) {
          if (!this.settleStep(entry, settling)) behind = true;
        } else if (entry.growing !== null && !this.growStep(entry, GROW_STEP)) behind = true;
        else if (entry.unsaved > 0 && entry.rebuild === null && performance.now() - entry.changedAt >= SAVE_WHEN_QUIET_MS) this.saveInBackground(entry);
        if (entry.unsaved >= saveEveryChanges(entry.index.size()) && entry.rebuild === null) this.saveInBackground(entry);
        if (entry.columns?.filling && !this.fillColumnsStep(entry, entry.columns)) behind = true;
      }
      // Writes grow an index, and a growing graph sits beside its scan.
      this.keepWithinBudget();
      if (this.entries.size > 0) this.follow(behind ? 0 : FOLLOW_INTERVAL_MS);
    }, delayMs);
    this.followTimer.unref();
  }

  /**
   * Moves SETTLE_STEP recent vectors into the graph; true when none wait. The graph is saved once
   * it has been quiet SAVE_WHEN_QUIET_MS with none waiting, so a restart loads it settled.
   */
  private settleStep(entry: Entry, settling: SettlingGraph): boolean {
    const settled = settling.settle(SETTLE_STEP, (key) => entry.vectors.get(key));
    // Counted as one change: a save under way took the graph before this step.
    entry.unsaved += 1;
    entry.changedAt = performance.now();
    return settled;
  }

  private collectionStillExists(identity: CollectionIdentity): boolean {
    const row = this.collectionRow.get(identity.name) as
      | { id: number; created_at: number } | undefined;
    return row !== undefined && row.id === identity.rowId && row.created_at === identity.createdAt;
  }

  private files(identity: CollectionIdentity): { graph: string; vectors: string; meta: string } | null {
    if (this.dir === null) return null;
    // `i8f32`: an int8 graph or scan with float32 vectors beside it (a scan has no `.usearch`
    // file: its codes are made from the vectors). Graphs saved by earlier versions
    // (no suffix: int8 alone; `f32`: float32) are not read: they are rebuilt from the sequence.
    const base = path.join(this.dir, `c${identity.rowId}-${identity.createdAt}-${identity.dimension}-i8f32`);
    return { graph: `${base}.usearch`, vectors: `${base}.vectors`, meta: `${base}.json` };
  }

  private load(identity: CollectionIdentity): Entry | null {
    const files = this.files(identity);
    if (files === null) return null;
    if (!existsSync(files.vectors) || !existsSync(files.meta)) {
      this.removeEarlierFormats(identity);
      return null;
    }
    try {
      // Saved before scans existed, a meta file names no index: it is a graph's.
      const { seq, index: kind = 'graph' } = JSON.parse(readFileSync(files.meta, 'utf8')) as SavedMeta;
      const vectors = FloatVectors.load(files.vectors, identity.dimension);
      if (vectors === null) return null;
      let index: VectorIndex;
      if (kind === 'flat') {
        index = new FlatIndex(identity.dimension, vectors.size);
        for (const [key, vector] of vectors.entries()) index.add(BigUint64Array.of(key), vector);
      } else {
        const graph = newGraph(identity.dimension);
        graph.load(files.graph);
        index = new SettlingGraph(graph, identity.dimension);
        // Vectors saved while they waited beside the graph wait there again.
        for (const [key, vector] of vectors.entries()) if (!graph.contains(key)) index.add(BigUint64Array.of(key), vector);
      }
      // A scan past its limit (saved while its graph grew, or from a larger limit) grows one again.
      const growing = index instanceof FlatIndex && index.size() > this.flatMaxChunks
        ? growthBeside(index, identity.dimension) : null;
      return { identity, index, growing, vectors, columns: null, seq, unsaved: 0, changedAt: 0, usedAt: performance.now(), saveRetryAt: 0, saving: null, rebuild: null, changed: new Map() };
    } catch {
      return null; // A damaged file is rebuilt from the sequence.
    }
  }

  /**
   * Saves the index and its vectors now. A save that fails (a full disk, a folder that cannot be
   * written) leaves what was saved before, keeps the index in memory and serving, warns, and is
   * tried again after SAVE_RETRY_MS: the search thread goes on, where a throw would end it and
   * fail the searches it held.
   */
  private save(entry: Entry): void {
    this.abandonSave(entry);
    const saving = this.startSave(entry);
    if (saving !== null) this.finishSave(entry, saving);
  }

  /** Writes the rest of a save's vectors and puts its files in place. */
  private finishSave(entry: Entry, saving: Saving): void {
    while (!this.saveStep(entry, saving));
  }

  /** Starts a save that the follower writes a step at a time between searches, unless one is under way. */
  private saveInBackground(entry: Entry): void {
    if (entry.saving === null) entry.saving = this.startSave(entry);
  }

  /**
   * Takes the collection's save lock, writes the graph (usearch writes it in one call: ~0.5 s at
   * 1M) and the meta file's content, and starts the float32 vectors' file; null when no save starts
   * now: no folder to save in, a failed save's retry not due, or another gateway saving.
   */
  private startSave(entry: Entry): Saving | null {
    const files = this.files(entry.identity);
    if (files === null) {
      entry.unsaved = 0;
      return null;
    }
    if (performance.now() < entry.saveRetryAt) return null;
    let releaseLock: (() => void) | null;
    try {
      // Not recursive: a data folder removed under a running gateway is not made again by a save.
      makeFolder(path.dirname(files.graph));
      releaseLock = takeSaveLock(`${files.meta}.lock`);
    } catch (error) {
      this.saveFailed(entry, error);
      return null;
    }
    if (releaseLock === null) {
      // Another gateway on this folder is saving the collection: this one's turn comes shortly.
      entry.saveRetryAt = performance.now() + SAVE_LOCKED_RETRY_MS;
      return null;
    }
    // Written aside, then renamed: another gateway on the same directory never reads half a file.
    // A scan is saved as its float32 vectors alone: its int8 codes are made again from them on load.
    const suffix = `.${process.pid}-${entry.seq}.tmp`;
    const graph = entry.index instanceof FlatIndex ? null : entry.index.graph;
    try {
      graph?.save(files.graph + suffix);
      const meta: SavedMeta = entry.index instanceof FlatIndex
        ? { seq: entry.seq, size: entry.index.size(), index: 'flat' }
        : { seq: entry.seq, size: entry.index.size(), index: 'graph', recent: entry.index.recent.size() };
      const vectors = entry.vectors.startSave(files.vectors + suffix);
      return { files, suffix, hasGraph: graph !== null, meta, changes: entry.unsaved, vectors, releaseLock };
    } catch (error) {
      for (const file of [files.graph, files.vectors]) removeIfThere(file + suffix);
      releaseLock();
      this.saveFailed(entry, error);
      return null;
    }
  }

  /**
   * Writes SAVE_STEP_BYTES more vectors of a save under way; once all are written, puts its files
   * in place, the meta file last: graph and vectors renamed before it hold at least the changes it
   * names, and replaying a change they already hold changes nothing. True when the save is over,
   * done or failed.
   */
  private saveStep(entry: Entry, saving: Saving): boolean {
    const { files, suffix } = saving;
    try {
      if (!saving.vectors.step(Math.max(1, Math.floor(this.saveStepBytes / (entry.identity.dimension * 4))))) return false;
      writeFileSync(files.meta + suffix, JSON.stringify(saving.meta));
      if (saving.hasGraph) renameSync(files.graph + suffix, files.graph);
      renameSync(files.vectors + suffix, files.vectors);
      renameSync(files.meta + suffix, files.meta);
      if (!saving.hasGraph) rmSync(files.graph, { force: true });
      entry.unsaved = Math.max(0, entry.unsaved - saving.changes);
    } catch (error) {
      this.removeTemporary(saving);
      this.saveFailed(entry, error);
    }
    saving.releaseLock();
    if (entry.saving === saving) entry.saving = null;
    return true;
  }

  /** Drops a save under way, its files written aside and its lock: a later save starts afresh. */
  private abandonSave(entry: Entry): void {
    const saving = entry.saving;
    if (saving === null) return;
    entry.saving = null;
    this.removeTemporary(saving);
    saving.releaseLock();
  }

  private removeTemporary(saving: Saving): void {
    saving.vectors.abandon();
    for (const file of [saving.files.graph, saving.files.vectors, saving.files.meta]) removeIfThere(file + saving.suffix);
  }

  private saveFailed(entry: Entry, error: unknown): void {
    entry.saveRetryAt = performance.now() + SAVE_RETRY_MS;
    process.emitWarning(`the approximate index of collection "${entry.identity.name}" was not saved: ${error instanceof Error ? error.message : String(error)}; `
      + `it is kept in memory, and saving is tried again in ${SAVE_RETRY_MS / 1000} s`);
  }

  /** What an earlier version saved for the collection: never read again, so not left to fill the disk. */
  private removeEarlierFormats(identity: CollectionIdentity): void {
    const base = path.join(this.dir!, `c${identity.rowId}-${identity.createdAt}-${identity.dimension}`);
    for (const format of ['', '-f32']) for (const extension of ['.usearch', '.json']) removeIfThere(base + format + extension);
  }

  private removeFiles(identity: CollectionIdentity): void {
    const files = this.files(identity);
    if (files) for (const file of [files.graph, files.vectors, files.meta]) removeIfThere(file);
  }
}

/** How many applied changes an index of `size` keys goes without saving (SAVE_EVERY_CHANGES). */
function saveEveryChanges(size: number): number {
  return Math.min(CHANGE_RETENTION / 2, Math.max(SAVE_EVERY_CHANGES, Math.round(size * SAVE_EVERY_SHARE)));
}

/** Creates `folder` in its existing parent; a folder already there is fine. */
function makeFolder(folder: string): void {
  try {
    mkdirSync(folder);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}

/** The memory an index takes, estimated: its float32 vectors, and its scan or graph (and a graph growing beside it). */
function heldBytes(entry: Entry): number {
  const dimension = entry.identity.dimension;
  const graphBytes = (graph: Graph) => graph.size() * (dimension + GRAPH_NODE_OVERHEAD);
  const scanBytes = (scan: FlatIndex) => scan.size() * (dimension + SCAN_SLOT_OVERHEAD);
  return entry.vectors.size * (dimension * 4 + FLOAT_VECTOR_OVERHEAD) + (entry.columns?.columns.bytes() ?? 0)
    + (entry.index instanceof FlatIndex ? scanBytes(entry.index) : graphBytes(entry.index.graph) + scanBytes(entry.index.recent))
    + (entry.growing === null ? 0 : graphBytes(entry.growing.graph));
}

/** A new graph to grow beside the scan, from every key the scan holds now. */
function growthBeside(scan: FlatIndex, dimension: number): NonNullable<Entry['growing']> {
  return { graph: newGraph(dimension), keys: scan.keysHeld(), next: 0 };
}

/** Removes a file if it is there; a clean-up that cannot happen (the folder unusable) is left. */
function removeIfThere(file: string): void {
  try {
    rmSync(file, { force: true });
  } catch {
    // Not a missing file (force ignores that): a folder that cannot be read or written.
  }
}

/** Each changed chunk's last change among `changes` (in sequence order), in the order chunks first appear. */
function lastChanges(changes: readonly ChangeRow[]): Map<bigint, number> {
  const last = new Map<bigint, number>();
  for (const change of changes) last.set(BigInt(change.chunk_rowid), change.seq);
  return last;
}

function toVector(blob: Buffer): Float32Array {
  return new Float32Array(blob.buffer.slice(blob.byteOffset, blob.byteOffset + blob.byteLength));
}

function sameIdentity(a: CollectionIdentity, b: CollectionIdentity): boolean {
  return a.rowId === b.rowId && a.createdAt === b.createdAt && a.dimension === b.dimension;
}

/**
 * HNSW parameters, chosen by measurement (`npm run bench:ann`) on hashing vectors of a distinct
 * text per chunk at 100k, 200 bench queries, each query's 50 best (or 5k) re-scored in float32
 * (`bench/results/ann-2026-12-04T19-04-41-588Z.json`, README *Search*): an int8 graph of 32
 * links and build breadth 128 gives recall@10 0.964 at search breadth 1024, 6.2 ms a query, and
 * builds 100k on both cores in 38 s; the float32 graph before it (build breadth 64) gave 0.909 at
 * 9.5 ms and took 68 s. Saved, the int8 graph takes 66 MB at 100k × 384 (the float32 one 181),
 * so about 0.7 GB at 1M, plus the float32 copy's 1.5 GB (float-vectors.ts). Build breadth 192
 * searched at 640 finds as much in about a quarter less time (at 100k and at 1M), but its inserts
 * cost half as much again and could not follow 900 chunks/s written into the searched collection
 * (`search-2026-12-05T01-46-02-988Z.json`): its searches ran exact.
 */
export const GRAPH_PARAMETERS = { connectivity: 32, expansion_add: 128, expansion_search: 1024 } as const;

function newGraph(dimension: number): Graph {
  return new usearch.Index({ ...graphOptions(dimension), ...GRAPH_PARAMETERS });
}

/** Everything but the parameters above: cosine over int8 vectors, one vector per key. */
export function graphOptions(dimension: number) {
  return { dimensions: dimension, metric: usearch.MetricKind.Cos, quantization: usearch.ScalarKind.I8, multi: false };
}
