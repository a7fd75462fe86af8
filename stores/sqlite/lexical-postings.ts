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
 * What is kept follows the collection's writes through `chunk_changes`, the sequence every chunk
 * insert and delete appends to in its own transaction (the approximate index follows it too):
 * before ranking, in the ranking's read transaction, each change since the last ranking is
 * applied (a new row's length read and its stems counted by the tokenizer, a deleted row
 * marked), so a ranking always sees the snapshot it reads in. Past MAX_CHANGES_APPLIED changes,
 * or when the sequence was pruned past them, the collection is read afresh instead.
 */
import type Database from 'better-sqlite3';
import type { CollectionIdentity } from './ann-index.ts';
import { Fts5Tokens, type TokenRow } from './fts5-tokens.ts';
import { indexTotals, readRowLengths } from './fts5-records.ts';
import { lexicalTableName } from './migrations.ts';
import { prepared } from './statements.ts';

/** FTS5's bm25 constants (fts5_aux.c). */
const K1 = 1.2;
const B = 0.75;

/** Postings kept across collections by default, in MiB: about 16M rows of a stem. */
export const DEFAULT_POSTINGS_MB = 128;
/** Changes applied before one ranking at most; past that, reading the collection afresh is cheaper. */
const MAX_CHANGES_APPLIED = 2_000;
/** Collections followed at once; the least recently ranked is dropped past this. */
const MAX_COLLECTIONS = 32;

/** Which collection a ranking reads, as the approximate index knows it (a re-created collection may reuse the row id). */
export type LexicalCollection = Omit<CollectionIdentity, 'dimension'>;

/** The rows holding one stem, and how many times each holds it. */
interface Postings {
  rowids: Uint32Array;
  counts: Uint32Array;
  size: number;
}

/** What is kept of one collection's index, as of change `seq`. */
interface CollectionIndex {
  readonly key: string;
  readonly table: string;
  readonly vocabulary: string;
  seq: number;
  /** Row lengths in tokens by rowid − base; 0 for rows not in the index. */
  base: number;
  lengths: Uint32Array;
  /** Scratch sums of a ranking, shaped as lengths; all 0 between rankings. */
  scores: Float64Array;
  readonly postings: Map<string, Postings>;
  /** Rows deleted since the postings were last cleaned of them: still listed, with length 0. */
  readonly deleted: Set<number>;
}

export class LexicalPostings {
  private readonly tokens: Fts5Tokens;
  private readonly collections = new Map<string, CollectionIndex>();
  /** Kept postings, least recently used first: collection key + '\u0000' + stem. */
  private readonly recency = new Map<string, number>();
  private bytes = 0;
  /** Scratch: the offsets a ranking scored, in the order first scored. */
  private touched: Int32Array<ArrayBuffer> = new Int32Array(1024);

  constructor(private readonly db: Database.Database, private readonly maxBytes = DEFAULT_POSTINGS_MB * 1024 * 1024) {
    this.tokens = new Fts5Tokens(db);
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
    const lists = stems.map((stem) => this.postingsOf(index, stem));
    const { lengths, scores, base } = index;
    let touched = this.touched;
    let touchedCount = 0;
    for (const list of lists) {
      const { rowids, counts, size } = list;
      let matches = size;
      if (index.deleted.size > 0) for (let i = 0; i < size; i++) if (lengths[rowids[i]! - base] === 0) matches--;
      let idf = Math.log((rows - matches + 0.5) / (matches + 0.5));
      if (idf <= 0) idf = 1e-6;
      if (touched.length < touchedCount + size) touched = this.touched = grown(touched, touchedCount + size);
      for (let i = 0; i < size; i++) {
        const at = rowids[i]! - base;
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
    this.evict();
    return best;
  }

  /** The k best of the touched rows (offsets into the scores); ties with the k-th by chunk id. */
  private best(index: CollectionIndex, touched: Int32Array, k: number): Map<number, number> {
    const { scores, base } = index;
    const result = new Map<number, number>();
    if (touched.length <= k) {
      for (const at of touched) result.set(at + base, scores[at]!);
      return result;
    }
    const kth = kthLargest(scores, touched, k);
    const tied: number[] = [];
    for (const at of touched) {
      const score = scores[at]!;
      if (score < kth) continue;
      if (score > kth) result.set(at + base, score);
      else tied.push(at + base);
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
    const last = (prepared(this.db, 'SELECT max(seq) AS seq FROM chunk_changes WHERE collection = ?').get(collection.name) as { seq: number | null }).seq ?? 0;
    let index = this.collections.get(key);
    if (index !== undefined) {
      this.collections.delete(key);
      if (last !== index.seq && !this.follow(index, collection.name, last)) index = undefined;
    }
    if (index === undefined) {
      if (this.collections.size >= MAX_COLLECTIONS) this.drop(this.collections.values().next().value!);
      index = this.read(key, collection.rowId, last);
    }
    this.collections.set(key, index);
    return index;
  }

  /** The collection's row lengths read afresh, as of change `seq`; no postings kept yet. */
  private read(key: string, rowId: number, seq: number): CollectionIndex {
    const table = lexicalTableName(rowId);
    const vocabulary = `temp.rag_vocabulary_${rowId}`;
    this.db.exec(`CREATE VIRTUAL TABLE IF NOT EXISTS ${vocabulary} USING fts5vocab(main, ${table}, instance)`);
    const rowids: number[] = [];
    const lengths: number[] = [];
    readRowLengths(this.db, table, (rowid, length) => { rowids.push(rowid); lengths.push(length); });
    const base = rowids.reduce((low, rowid) => Math.min(low, rowid), rowids[0] ?? 0);
    const span = rowids.reduce((high, rowid) => Math.max(high, rowid), base) - base + 1;
    const index: CollectionIndex = {
      key, table, vocabulary, seq, base,
      lengths: new Uint32Array(Math.ceil(span * 1.25) + 1024),
      scores: new Float64Array(0),
      postings: new Map(),
      deleted: new Set(),
    };
    index.scores = new Float64Array(index.lengths.length);
    rowids.forEach((rowid, i) => { index.lengths[rowid - base] = lengths[i]!; });
    return index;
  }

  /**
   * Applies the collection's changes after index.seq up to `last`; false when it should be read
   * afresh instead (too many changes, or some were pruned from the sequence). Lengths follow the
   * changes in order; the rows present at the end are then tokenized together, once each, and
   * their occurrences of the kept stems appended.
   */
  private follow(index: CollectionIndex, name: string, last: number): boolean {
    const pruned = (prepared(this.db, 'SELECT through_seq AS seq FROM chunk_changes_pruned WHERE collection = ?').get(name) as { seq: number } | undefined)?.seq ?? 0;
    if (pruned > index.seq || last - index.seq > MAX_CHANGES_APPLIED) {
      this.drop(index);
      return false;
    }
    const changes = prepared(this.db, 'SELECT chunk_rowid AS rowid, op FROM chunk_changes WHERE collection = ? AND seq > ? AND seq <= ? ORDER BY seq')
      .all(name, index.seq, last) as { rowid: number; op: number }[];
    // Each added row's length now; a row without one was deleted again by a later change.
    const lengthNow = new Map<number, number>();
    readRowLengths(this.db, index.table, (rowid, length) => lengthNow.set(rowid, length), changes.filter((change) => change.op === 1).map((change) => change.rowid));
    const added = new Set<number>();
    for (const { rowid, op } of changes) {
      if (op === 0) {
        this.remove(index, rowid);
        added.delete(rowid);
        continue;
      }
      const length = lengthNow.get(rowid);
      if (length === undefined) continue;
      // A row id used again after a delete: its old postings go first.
      if (index.deleted.has(rowid)) this.clean(index);
      this.ensureRoom(index, rowid);
      index.lengths[rowid - index.base] = length;
      added.add(rowid);
    }
    index.seq = last;
    if (added.size > 0 && index.postings.size > 0) {
      let tokens = 0;
      for (const rowid of added) tokens += lengthNow.get(rowid)!;
      this.addOccurrences(index, [...added], tokens);
    }
    return true;
  }

  private remove(index: CollectionIndex, rowid: number): void {
    const at = rowid - index.base;
    if (at < 0 || at >= index.lengths.length || index.lengths[at] === 0) return;
    index.lengths[at] = 0;
    if (index.postings.size > 0) index.deleted.add(rowid);
  }

  /** The added rows' occurrences of the stems kept, appended to their postings. */
  private addOccurrences(index: CollectionIndex, rowids: readonly number[], tokens: number): void {
    const rows = prepared(this.db, 'SELECT rowid, text, heading, title FROM chunks WHERE rowid IN (SELECT value FROM json_each(?))')
      .all(JSON.stringify(rowids)) as TokenRow[];
    for (const [stem, joined] of this.tokens.occurrences(rows, index.postings, tokens)) {
      const list = index.postings.get(stem)!;
      const found = parseOccurrences(joined);
      for (let i = 0; i < found.size; i++) this.append(index, stem, list, found.rowids[i]!, found.counts[i]!);
    }
  }

  /** Drops the deleted rows from every kept postings list of the collection. */
  private clean(index: CollectionIndex): void {
    for (const [stem, list] of index.postings) {
      let kept = 0;
      for (let i = 0; i < list.size; i++) {
        if (index.deleted.has(list.rowids[i]!)) continue;
        list.rowids[kept] = list.rowids[i]!;
        list.counts[kept] = list.counts[i]!;
        kept++;
      }
      this.resize(index, stem, list, kept, list.rowids.length);
    }
    index.deleted.clear();
  }

  /** Makes room in the lengths for `rowid`, below or above what they cover. */
  private ensureRoom(index: CollectionIndex, rowid: number): void {
    const at = rowid - index.base;
    if (at >= 0 && at < index.lengths.length) return;
    const low = Math.min(index.base, rowid);
    const high = Math.max(index.base + index.lengths.length, rowid + 1);
    const size = Math.ceil((high - low) * 1.5) + 1024;
    const lengths = new Uint32Array(size);
    lengths.set(index.lengths, index.base - low);
    index.lengths = lengths;
    index.scores = new Float64Array(size);
    index.base = low;
  }

  /** A stem's postings, read from the index when not kept. */
  private postingsOf(index: CollectionIndex, stem: string): Postings {
    const kept = index.postings.get(stem);
    if (kept !== undefined) {
      const key = index.key + '\u0000' + stem;
      const bytes = this.recency.get(key)!;
      this.recency.delete(key);
      this.recency.set(key, bytes);
      return kept;
    }
    const { docs } = prepared(this.db, `SELECT group_concat(doc) AS docs FROM ${index.vocabulary} WHERE term = ?`).get(stem) as { docs: string | null };
    const list = parseOccurrences(docs ?? '');
    index.postings.set(stem, list);
    this.recency.set(index.key + '\u0000' + stem, 0);
    this.resize(index, stem, list, list.size, list.rowids.length);
    return list;
  }

  private append(index: CollectionIndex, stem: string, list: Postings, rowid: number, count: number): void {
    if (list.size === list.rowids.length) {
      const capacity = Math.ceil(list.size * 1.5) + 16;
      const rowids = new Uint32Array(capacity);
      const counts = new Uint32Array(capacity);
      rowids.set(list.rowids.subarray(0, list.size));
      counts.set(list.counts.subarray(0, list.size));
      list.rowids = rowids;
      list.counts = counts;
    }
    list.rowids[list.size] = rowid;
    list.counts[list.size] = count;
    this.resize(index, stem, list, list.size + 1, list.rowids.length);
  }

  /** Records a postings list's new size and capacity in the byte count. */
  private resize(index: CollectionIndex, stem: string, list: Postings, size: number, capacity: number): void {
    const key = index.key + '\u0000' + stem;
    const before = this.recency.get(key) ?? 0;
    const after = capacity * 8;
    list.size = size;
    this.recency.set(key, after);
    this.bytes += after - before;
  }

  /** Drops the least recently used postings until within the budget. */
  private evict(): void {
    for (const [key, bytes] of this.recency) {
      if (this.bytes <= this.maxBytes) return;
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
    index.deleted.clear();
    this.collections.delete(index.key);
  }
}

/**
 * The rows of `joined` (rowids joined by commas, one per occurrence, ascending, as the fts5vocab
 * instance table lists them) with their occurrence counts.
 */
export function parseOccurrences(joined: string): Postings {
  if (joined.length === 0) return { rowids: new Uint32Array(0), counts: new Uint32Array(0), size: 0 };
  const rowids: number[] = [];
  const counts: number[] = [];
  let ordered = true;
  let value = 0;
  const push = () => {
    const last = rowids.length - 1;
    if (last >= 0 && rowids[last] === value) counts[last]!++;
    else {
      if (last >= 0 && rowids[last]! > value) ordered = false;
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
  if (!ordered) {
    // Not how fts5vocab lists them; counted by row all the same.
    const byRow = new Map<number, number>();
    rowids.forEach((rowid, i) => byRow.set(rowid, (byRow.get(rowid) ?? 0) + counts[i]!));
    return { rowids: Uint32Array.from(byRow.keys()), counts: Uint32Array.from(byRow.values()), size: byRow.size };
  }
  return { rowids: Uint32Array.from(rowids), counts: Uint32Array.from(counts), size: rowids.length };
}

/** A copy of `array` with room for at least `size` entries. */
function grown(array: Int32Array, size: number): Int32Array<ArrayBuffer> {
  const larger = new Int32Array(Math.max(size, array.length * 2));
  larger.set(array);
  return larger;
}

/** The k-th largest of the scores at `offsets` (k ≤ offsets.length), by a min-heap of the k largest. */
export function kthLargest(scores: Float64Array, offsets: Int32Array, k: number): number {
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
