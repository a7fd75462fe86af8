/**
 * BM25 over a collection's lexical index without FTS5's bm25(), for the thread that runs lexical
 * rankings (search-pool.ts). bm25() costs about a microsecond a matched row, and the words of a
 * query can match most of a collection: at 100k chunks a title of six common words scored 50k
 * rows (tens of ms) however the passes in lexical-search.ts pruned them. Everything bm25 needs
 * can be read faster and kept:
 *
 * - a word's postings (which rows hold its stem, how often) from the index itself through an
 *   fts5vocab table, about 0.2 µs an occurrence, kept per stem (within a budget of bytes) and
 *   reused by every later query;
 * - each row's length in tokens (`_docsize`) and the row and token totals, as bm25 reads them
 *   (fts5-records.ts);
 * - the query's stems from FTS5's own tokenizer (fts5-tokens.ts).
 *
 * Scores are then summed here, phrase by phrase in query order, with bm25's very expression
 * (fts5_aux.c): the same doubles in the same order, so the same scores (the idf's logarithm may
 * round differently in its last bit from the C library's).
 *
 * Rows are numbered in slots of the collection's own, so what is kept per row (its rowid and
 * length, a ranking's sums, its entry in the map of slots: about 60 bytes) is a row of the
 * collection, however its rowids interleave with other collections'; postings hold slots. The
 * rows count against the same budget as the postings: other collections' rows may take half of
 * it, the least recently ranked dropped first, and postings the rest.
 *
 * What is kept follows the collection's writes through `chunk_changes`, the sequence every chunk
 * insert and delete appends to in its own transaction (the approximate index follows it too):
 * before ranking, in the ranking's read transaction, each change since the last ranking is
 * applied (a new row gets a new slot, its length read and the rows added tokenized together for
 * the kept stems; a deleted row's slot is marked dead, and its postings skipped), so a ranking
 * always sees the snapshot it reads in. A row id used again gets a new slot, so a dead slot's
 * postings never count for it. Past MAX_CHANGES_APPLIED changes, when the sequence was pruned
 * past them, or once a quarter of the slots are dead, the collection is read afresh instead.
 *
 * A bulk load is far more changes than that, and the words searched before it would each be read
 * again by the first ranking that asks for them after. So once a collection's writes have paused
 * for REWARM_QUIET_MS (`rewarm`, called by the thread while idle), a collection too far behind is
 * read afresh there and then (one step, as long as the first ranking after the load would have
 * spent on it), and the stems it kept are read again, in the order they were last used, in steps
 * that searches run between: the next rankings find them kept, as a search engine warms a new
 * searcher with the queries its old one answered.
 */
import type Database from 'better-sqlite3';
import type { CollectionIdentity } from './ann-index.ts';
import { Fts5Tokens, type TokenRow } from './fts5-tokens.ts';
import { indexTotals, readRowLengths } from './fts5-records.ts';
import { lexicalTableName } from './migrations.ts';
import { prepared } from './statements.ts';
import { lastChange, prunedThrough } from './change-log.ts';

/** FTS5's bm25 constants (fts5_aux.c). */
const K1 = 1.2;
const B = 0.75;

/**
 * Postings and rows kept across collections by default, in MiB. At 1M chunks the rows take ~90 MB
 * and the 200 bench titles' postings ~150 MB, growing with every write: within 256 MB, writes into
 * the searched collection pushed kept words out and they were read again (~100 ms each at 1M),
 * LEXICAL p95 126.9 ms against 36.6 within 1 GB (`npm run bench:follow`, 899 chunks/s written).
 */
export const DEFAULT_POSTINGS_MB = 1024;
/** Changes applied before one ranking at most; past that, reading the collection afresh is cheaper. */
const MAX_CHANGES_APPLIED = 2_000;
/** Collections followed at once; the least recently ranked is dropped past this. */
const MAX_COLLECTIONS = 32;
/** How long a collection's writes must have paused before its kept words are read again after a bulk load. */
export const REWARM_QUIET_MS = 1_000;
/** How long one step of reading kept words again may run before searches get their turn, in ms. */
const REWARM_STEP_MS = 5;
/** Bytes a slot takes by capacity (its rowid, length and scratch sum), and a row's entry in the map of slots. */
const SLOT_BYTES = 8 + 4 + 8;
const SLOT_MAP_ENTRY_BYTES = 40;

/** Which collection a ranking reads, as the approximate index knows it (a re-created collection may reuse the row id). */
export type LexicalCollection = Omit<CollectionIdentity, 'dimension'>;

/** The slots holding one stem, and how many times each holds it. */
interface Postings {
  slots: Uint32Array;
  counts: Uint32Array;
  size: number;
}

/** What is kept of one collection's index, as of change `seq`. */
interface CollectionIndex {
  readonly key: string;
  /** The collection's name, as the change sequence names it. */
  readonly name: string;
  readonly table: string;
  readonly vocabulary: string;
  seq: number;
  /** The slot of each row in the index. */
  readonly slotOf: Map<number, number>;
  /** By slot: its rowid, its length in tokens (0 once its row is deleted), a ranking's scratch sum (0 between rankings). */
  rowids: Float64Array;
  lengths: Uint32Array;
  scores: Float64Array;
  /** Slots given out, and how many of them are dead. */
  slots: number;
  dead: number;
  readonly postings: Map<string, Postings>;
}

export class LexicalPostings {
  private readonly tokens: Fts5Tokens;
  private readonly collections = new Map<string, CollectionIndex>();
  /** Kept postings, least recently used first: collection key + '\u0000' + stem, to bytes. */
  private readonly recency = new Map<string, number>();
  private bytes = 0;
  /** Scratch: the slots a ranking scored, in the order first scored. */
  private touched: Int32Array<ArrayBuffer> = new Int32Array(1024);
  /** Per kept collection: the last change seen by `rewarm`, and when it was first seen. */
  private readonly lastSeen = new Map<string, { seq: number; at: number }>();
  /** A collection read afresh by `rewarm`, and the stems it kept before, to read again. */
  private rewarming: { index: CollectionIndex; stems: string[] } | null = null;
  private reads = 0;

  constructor(private readonly db: Database.Database, private readonly maxBytes = DEFAULT_POSTINGS_MB * 1024 * 1024) {
    this.tokens = new Fts5Tokens(db);
  }

  /** Stems whose postings were read from an index, since this object was made. */
  get stemsRead(): number {
    return this.reads;
  }

  /** Bytes of postings kept now. */
  get keptBytes(): number {
    return this.bytes;
  }

  /**
   * The k best rows of the collection for these words (each an FTS5 phrase of one word, as
   * lexical-search.ts quotes them), by rowid with its score (-bm25, higher is better); ties with
   * the k-th are broken by chunk id, as the SQL rankings break them. Null when the words do not
   * tokenize one stem each: then FTS5 ranks them. Call inside the ranking's read transaction.
   */
  rank(collection: LexicalCollection, words: readonly string[], k: number): Map<number, number> | null {
    const stems = this.tokens.stems(words);
    if (stems === null) return null;
    const index = this.current(collection);
    const { rows, tokens } = indexTotals(this.db, index.table);
    if (rows === 0) return new Map();
    const averageLength = tokens / rows;
    const lists: Postings[] = [];
    for (const stem of stems) {
      const list = this.postingsOf(index, stem);
      // A row the index lists that the slots lack: not the snapshot they were read from.
      if (list === null) {
        this.drop(index);
        return null;
      }
      lists.push(list);
    }
    const { lengths, scores } = index;
    let touched = this.touched;
    let touchedCount = 0;
    for (const { slots, counts, size } of lists) {
      let matches = size;
      if (index.dead > 0) for (let i = 0; i < size; i++) if (lengths[slots[i]!] === 0) matches--;
      let idf = Math.log((rows - matches + 0.5) / (matches + 0.5));
      if (idf <= 0) idf = 1e-6;
      if (touched.length < touchedCount + size) touched = this.touched = grown(touched, touchedCount + size);
      for (let i = 0; i < size; i++) {
        const at = slots[i]!;
        const length = lengths[at]!;
        if (length === 0) continue;
        const frequency = counts[i]!;
        const sum = scores[at]!;
        if (sum === 0) touched[touchedCount++] = at;
        // bm25's expression term for term (fts5_aux.c fts5Bm25Function): the same rounding.
        scores[at] = sum + idf * ((frequency * (K1 + 1.0)) / (frequency + K1 * (1 - B + B * length / averageLength)));
      }
    }
    const best = this.best(index, touched.subarray(0, touchedCount), k);
    for (let i = 0; i < touchedCount; i++) scores[touched[i]!] = 0;
    this.evict(index);
    return best;
  }

  /** The k best of the touched slots, by rowid; ties with the k-th by chunk id. */
  private best(index: CollectionIndex, touched: Int32Array, k: number): Map<number, number> {
    const { scores, rowids } = index;
    const result = new Map<number, number>();
    if (touched.length <= k) {
      for (const at of touched) result.set(rowids[at]!, scores[at]!);
      return result;
    }
    const kth = kthLargest(scores, touched, k);
    const tied: number[] = [];
    for (const at of touched) {
      const score = scores[at]!;
      if (score < kth) continue;
      if (score > kth) result.set(rowids[at]!, score);
      else tied.push(rowids[at]!);
    }
    const wanted = k - result.size;
    const ids = tied.length <= wanted ? tied : (prepared(this.db, 'SELECT rowid AS key, id FROM chunks WHERE rowid IN (SELECT value FROM json_each(?))')
      .all(JSON.stringify(tied)) as { key: number; id: string }[])
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).slice(0, wanted).map((row) => row.key);
    for (const rowid of ids) result.set(rowid, kth);
    return result;
  }

  /** The collection's index as of the current snapshot: kept and brought up to date, or read afresh. */
  private current(collection: LexicalCollection): CollectionIndex {
    const key = `${collection.rowId}@${collection.createdAt}`;
    const last = lastChange(this.db, collection.name);
    let index = this.collections.get(key);
    if (index !== undefined) {
      this.collections.delete(key);
      if (last !== index.seq && !this.follow(index, last)) index = undefined;
    }
    if (index === undefined) {
      if (this.collections.size >= MAX_COLLECTIONS) this.drop(this.collections.values().next().value!);
      index = this.read(key, collection.name, collection.rowId, last);
    }
    this.collections.set(key, index);
    return index;
  }

  /** The collection's rows and their lengths read afresh, as of change `seq`; no postings kept yet. */
  private read(key: string, name: string, rowId: number, seq: number): CollectionIndex {
    const table = lexicalTableName(rowId);
    const vocabulary = `temp.rag_vocabulary_${rowId}`;
    this.db.exec(`CREATE VIRTUAL TABLE IF NOT EXISTS ${vocabulary} USING fts5vocab(main, ${table}, instance)`);
    const index: CollectionIndex = {
      key, name, table, vocabulary, seq, slotOf: new Map(), postings: new Map(), slots: 0, dead: 0,
      rowids: new Float64Array(1024), lengths: new Uint32Array(1024), scores: new Float64Array(1024),
    };
    readRowLengths(this.db, table, (rowid, length) => this.addRow(index, rowid, length));
    return index;
  }

  /** A row in the next slot. */
  private addRow(index: CollectionIndex, rowid: number, length: number): void {
    if (index.slots === index.lengths.length) {
      const size = index.slots * 2;
      const rowids = new Float64Array(size);
      const lengths = new Uint32Array(size);
      rowids.set(index.rowids);
      lengths.set(index.lengths);
      index.rowids = rowids;
      index.lengths = lengths;
      index.scores = new Float64Array(size);
    }
    const slot = index.slots++;
    index.slotOf.set(rowid, slot);
    index.rowids[slot] = rowid;
    index.lengths[slot] = length;
  }

  /**
   * Applies the collection's changes after index.seq up to `last`; false when it should be read
   * afresh instead (too many changes, some pruned from the sequence, or a quarter of the slots
   * dead). Rows follow the changes in order; the rows present at the end are then tokenized
   * together, once each, and their occurrences of the kept stems appended.
   */
  private follow(index: CollectionIndex, last: number): boolean {
    if (this.tooFarBehind(index, last)) {
      this.drop(index);
      return false;
    }
    const changes = prepared(this.db, 'SELECT chunk_rowid AS rowid, op FROM chunk_changes WHERE collection = ? AND seq > ? AND seq <= ? ORDER BY seq')
      .all(index.name, index.seq, last) as { rowid: number; op: number }[];
    // Each added row's length now; a row without one was deleted again by a later change.
    const lengthNow = new Map<number, number>();
    readRowLengths(this.db, index.table, (rowid, length) => lengthNow.set(rowid, length), changes.filter((change) => change.op === 1).map((change) => change.rowid));
    const added = new Set<number>();
    let tokens = 0;
    for (const { rowid, op } of changes) {
      this.removeRow(index, rowid);
      added.delete(rowid);
      const length = lengthNow.get(rowid);
      if (op === 0 || length === undefined) continue;
      this.addRow(index, rowid, length);
      added.add(rowid);
    }
    index.seq = last;
    if (index.dead > Math.max(1024, index.slots / 4)) {
      this.drop(index);
      return false;
    }
    if (added.size > 0 && index.postings.size > 0) {
      for (const rowid of added) tokens += lengthNow.get(rowid)!;
      this.addOccurrences(index, [...added], tokens);
    }
    return true;
  }

  /** Marks the row's slot dead, if it has one. */
  private removeRow(index: CollectionIndex, rowid: number): void {
    const slot = index.slotOf.get(rowid);
    if (slot === undefined) return;
    index.slotOf.delete(rowid);
    index.lengths[slot] = 0;
    index.dead++;
  }

  /** The added rows' occurrences of the stems kept, appended to their postings. */
  private addOccurrences(index: CollectionIndex, rowids: readonly number[], tokens: number): void {
    const rows = prepared(this.db, 'SELECT rowid, text, heading, title FROM chunks WHERE rowid IN (SELECT value FROM json_each(?))')
      .all(JSON.stringify(rowids)) as TokenRow[];
    for (const [stem, joined] of this.tokens.occurrences(rows, index.postings, tokens)) {
      const list = index.postings.get(stem)!;
      const found = parseOccurrences(joined);
      for (let i = 0; i < found.rowids.length; i++) this.append(index, stem, list, index.slotOf.get(found.rowids[i]!)!, found.counts[i]!);
    }
  }

  /** A stem's postings, read from the index when not kept; null when it lists a row without a slot. */
  private postingsOf(index: CollectionIndex, stem: string): Postings | null {
    const key = index.key + '\u0000' + stem;
    const kept = index.postings.get(stem);
    if (kept !== undefined) {
      const bytes = this.recency.get(key)!;
      this.recency.delete(key);
      this.recency.set(key, bytes);
      return kept;
    }
    const { docs } = prepared(this.db, `SELECT group_concat(doc) AS docs FROM ${index.vocabulary} WHERE term = ?`).get(stem) as { docs: string | null };
    this.reads++;
    const found = parseOccurrences(docs ?? '');
    const slots = new Uint32Array(found.rowids.length);
    for (let i = 0; i < slots.length; i++) {
      const slot = index.slotOf.get(found.rowids[i]!);
      if (slot === undefined) return null;
      slots[i] = slot;
    }
    const list: Postings = { slots, counts: found.counts, size: slots.length };
    index.postings.set(stem, list);
    this.account(key, list);
    return list;
  }

  private append(index: CollectionIndex, stem: string, list: Postings, slot: number, count: number): void {
    if (list.size === list.slots.length) {
      const capacity = Math.ceil(list.size * 1.5) + 16;
      const slots = new Uint32Array(capacity);
      const counts = new Uint32Array(capacity);
      slots.set(list.slots.subarray(0, list.size));
      counts.set(list.counts.subarray(0, list.size));
      list.slots = slots;
      list.counts = counts;
    }
    list.slots[list.size] = slot;
    list.counts[list.size] = count;
    list.size++;
    this.account(index.key + '\u0000' + stem, list);
  }

  /** Records a postings list's bytes (its capacity) in the count, most recently used. */
  private account(key: string, list: Postings): void {
    const before = this.recency.get(key) ?? 0;
    const after = list.slots.length * 8;
    this.recency.delete(key);
    this.recency.set(key, after);
    this.bytes += after - before;
  }

  /**
   * One step of reading kept words again after a bulk load (see the top of this file); true while
   * more steps are wanted. Each step is a read transaction of its own and runs for about
   * REWARM_STEP_MS. Writes resuming end the re-reading: the next rankings take it from there.
   */
  rewarm(now = performance.now()): boolean {
    return this.db.transaction(() => (this.rewarming === null ? this.startRewarm(now) : this.continueRewarm(now))).deferred();
  }

  /**
   * Applies the changes of each kept collection that has any, while they are few enough to apply
   * (MAX_CHANGES_APPLIED, none pruned), so that a collection written while no ranking asks for it
   * does not fall so far behind that its next ranking reads it afresh and then each word it asks
   * for: at 1M, writing 900 chunks/s into the searched collection while its rankings paused for
   * the vector searches, LEXICAL p95 was 142.8 ms against 21.2 p50. Called by the thread between
   * searches, in a read transaction of its own.
   */
  keepUp(): void {
    this.db.transaction(() => {
      for (const index of [...this.collections.values()]) {
        const last = lastChange(this.db, index.name);
        if (last === index.seq || this.tooFarBehind(index, last)) continue;
        // Deleted, or deleted and made again: the changes under its name are another collection's.
        if (this.stillKept(index) === null) this.drop(index);
        else if (this.follow(index, last)) this.evict(index);
      }
    }).deferred();
  }

  /** The kept collection as it is now, or null when it was deleted (or deleted and made again). */
  private stillKept(index: CollectionIndex): LexicalCollection | null {
    const row = prepared(this.db, 'SELECT id, created_at FROM collections WHERE name = ?').get(index.name) as { id: number; created_at: number } | undefined;
    return row === undefined || `${row.id}@${row.created_at}` !== index.key ? null : { name: index.name, rowId: row.id, createdAt: row.created_at };
  }

  /** Reads afresh the most recently ranked collection that is too far behind and quiet; true when one was. */
  private startRewarm(now: number): boolean {
    for (const index of [...this.collections.values()].reverse()) {
      const last = lastChange(this.db, index.name);
      const seen = this.lastSeen.get(index.key);
      if (seen?.seq !== last) this.lastSeen.set(index.key, { seq: last, at: now });
      if (seen?.seq !== last || now - seen.at < REWARM_QUIET_MS || !this.tooFarBehind(index, last)) continue;
      const identity = this.stillKept(index);
      // Least recently used first, so that they keep their order of use (and the budget's evictions theirs).
      const stems = [...this.recency.keys()].filter((key) => key.startsWith(index.key + '\u0000'))
        .map((key) => key.slice(index.key.length + 1));
      this.drop(index);
      this.lastSeen.delete(index.key);
      // Deleted, or deleted and made again: its next ranking reads the new one.
      if (identity === null) return true;
      // Dropped above, so read afresh as a ranking would.
      this.rewarming = { index: this.current(identity), stems };
      return true;
    }
    // Forgets collections no longer kept.
    for (const key of this.lastSeen.keys()) if (!this.collections.has(key)) this.lastSeen.delete(key);
    return false;
  }

  /** Reads the next kept stems again, for about REWARM_STEP_MS; true while some are left. */
  private continueRewarm(now: number): boolean {
    const { index, stems } = this.rewarming!;
    if (this.collections.get(index.key) !== index || lastChange(this.db, index.name) !== index.seq) {
      this.rewarming = null; // dropped, or written again: rankings read what they need
      return false;
    }
    const until = performance.now() + REWARM_STEP_MS;
    while (stems.length > 0 && performance.now() < until) {
      if (this.postingsOf(index, stems.shift()!) === null) {
        this.drop(index);
        stems.length = 0;
      }
    }
    this.evict(index);
    if (stems.length > 0) return true;
    this.rewarming = null;
    this.lastSeen.set(index.key, { seq: index.seq, at: now });
    return false;
  }

  /**
   * Whether the next ranking would read the collection afresh rather than apply its changes. Its
   * own changes are counted, not the distance between sequence numbers, which every collection's
   * writes advance: after 379k chunks written into another collection, the first write into a
   * ranked one at 1M had its next ranking read 1M rows and every word again (LEXICAL p95 152.8 ms
   * in bench:search's writes into the searched collection).
   */
  private tooFarBehind(index: CollectionIndex, last: number): boolean {
    if (prunedThrough(this.db, index.name) > index.seq) return true;
    // Counted only when the distance could hold that many: a ranking's usual handful costs no query.
    if (last - index.seq <= MAX_CHANGES_APPLIED) return false;
    const changes = prepared(this.db, 'SELECT count(*) FROM (SELECT 1 FROM chunk_changes WHERE collection = ? AND seq > ? AND seq <= ? LIMIT ?)')
      .pluck().get(index.name, index.seq, last, MAX_CHANGES_APPLIED + 1) as number;
    return changes > MAX_CHANGES_APPLIED;
  }

  /** Collections whose rows are kept now. */
  get collectionsKept(): number {
    return this.collections.size;
  }

  /**
   * Keeps rows and postings within the budget: other collections' rows, least recently ranked
   * first, while all rows take more than half of it (those of `current`, just ranked, are kept
   * whatever their size), then the least recently used postings.
   */
  private evict(current: CollectionIndex): void {
    let rows = 0;
    for (const index of this.collections.values()) rows += rowBytes(index);
    for (const index of [...this.collections.values()]) {
      if (rows <= this.maxBytes / 2) break;
      if (index === current) continue;
      rows -= rowBytes(index);
      this.drop(index);
    }
    for (const [key, bytes] of this.recency) {
      if (this.bytes + rows <= this.maxBytes) return;
      const split = key.indexOf('\u0000');
      this.collections.get(key.slice(0, split))?.postings.delete(key.slice(split + 1));
      this.recency.delete(key);
      this.bytes -= bytes;
    }
  }

  /** Forgets a collection and its postings. */
  private drop(index: CollectionIndex): void {
    for (const stem of index.postings.keys()) {
      const key = index.key + '\u0000' + stem;
      this.bytes -= this.recency.get(key) ?? 0;
      this.recency.delete(key);
    }
    index.postings.clear();
    this.collections.delete(index.key);
  }
}

/** Bytes a collection's rows take: its slots by capacity and its map of slots. */
function rowBytes(index: CollectionIndex): number {
  return index.lengths.length * SLOT_BYTES + index.slotOf.size * SLOT_MAP_ENTRY_BYTES;
}

/**
 * The rows of `joined` (rowids joined by commas, one per occurrence, ascending as the fts5vocab
 * instance table lists them) with their occurrence counts.
 */
function parseOccurrences(joined: string): { rowids: number[]; counts: Uint32Array } {
  if (joined.length === 0) return { rowids: [], counts: new Uint32Array(0) };
  const rowids: number[] = [];
  const counts: number[] = [];
  // Ascending, so a row's occurrences are together: a row seen before would break the order.
  let together = true;
  let value = 0;
  const push = () => {
    const last = rowids.length - 1;
    if (last >= 0 && rowids[last] === value) counts[last]!++;
    else {
      if (last >= 0 && rowids[last]! > value) together = false;
      rowids.push(value);
      counts.push(1);
    }
    value = 0;
  };
  for (let i = 0; i < joined.length; i++) {
    const c = joined.charCodeAt(i);
    if (c === 44 /* , */) push();
    else value = value * 10 + (c - 48);
  }
  push();
  if (!together) {
    // Not how fts5vocab lists them; counted by row all the same.
    const merged = new Map<number, number>();
    rowids.forEach((rowid, i) => merged.set(rowid, (merged.get(rowid) ?? 0) + counts[i]!));
    return { rowids: [...merged.keys()], counts: Uint32Array.from(merged.values()) };
  }
  return { rowids, counts: Uint32Array.from(counts) };
}

/** A copy of `array` with room for at least `size` entries. */
function grown(array: Int32Array, size: number): Int32Array<ArrayBuffer> {
  const larger = new Int32Array(Math.max(size, array.length * 2));
  larger.set(array);
  return larger;
}

/** The k-th largest of the scores at `offsets` (k ≤ offsets.length), by a min-heap of the k largest. */
function kthLargest(scores: Float64Array, offsets: Int32Array, k: number): number {
  const heap = new Float64Array(k);
  let size = 0;
  for (let o = 0; o < offsets.length; o++) {
    const value = scores[offsets[o]!]!;
    if (size < k) {
      let i = size++;
      heap[i] = value;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (heap[parent]! <= heap[i]!) break;
        [heap[parent], heap[i]] = [heap[i]!, heap[parent]!];
        i = parent;
      }
    } else if (value > heap[0]!) {
      heap[0] = value;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1, right = left + 1;
        let least = i;
        if (left < k && heap[left]! < heap[least]!) least = left;
        if (right < k && heap[right]! < heap[least]!) least = right;
        if (least === i) break;
        [heap[least], heap[i]] = [heap[i]!, heap[least]!];
        i = least;
      }
    }
  }
  return heap[0]!;
}
