/**
 * The chunks a metadata filter matches, kept by a search thread between searches and brought up
 * to date from the change sequence (`chunk_changes`), so a filter asked again costs a set lookup
 * per candidate instead of a chunk row read.
 *
 * Why: a filtered search checks its candidates against the filter (filtered-chunks.ts `matching`),
 * and each check reads the candidate's chunk row, about 4 µs at 100k chunks (a random page of a
 * table of ~100 MB). A narrow filter needs many candidates: HYBRID with a one-in-ten filter at
 * 100k checked 1,500 in its vector ranking and 750 in its lexical one, 6 and 3 ms of its 14.
 * Listing every matching chunk costs about 0.2 µs a chunk (through the documents, `all`), so a
 * filter's chunks are listed and kept when that costs no more than checking the candidates of the
 * search at hand, or when the filter is asked again (filters repeat: a tenant, a shelf, a
 * language). A kept set then also answers the filter's count, which otherwise evaluates the filter
 * on every document of the collection.
 *
 * Exactness: a chunk's metadata is written only with the chunk (index-document.ts), and every
 * chunk written or deleted appends its rowid to `chunk_changes` in the same transaction. So the
 * kept set, as of the collection's last change S, differs from the chunks matching now only in
 * the rowids changed after S; those are checked in the search's own snapshot before it uses the
 * set. A set whose changes were pruned past S, or with more since than listing it would cost, is
 * listed afresh or dropped.
 */
import type Database from 'better-sqlite3';
import type { MetadataFilter } from '../../schema/metadata-filter.ts';
import { lastChange, prunedThrough } from './change-log.ts';
import { filteredChunks, type FilteredChunks } from './filtered-chunks.ts';
import { prepared } from './statements.ts';

/**
 * Listing a filter's chunks costs about 1/20 of checking one candidate (0.2 against 4 µs at 100k
 * chunks, docs/search.md), so the first search with a filter lists them when they are at most 20
 * times its candidates.
 */
const LIST_PAYBACK = 20;
/**
 * A filter asked again is listed whatever it costs (within MAX_KEPT_ROWIDS): besides the candidates'
 * checks, a search without a kept set reads the filter's count, which evaluates it on every
 * document of the collection (25 ms for 100k one-chunk documents), and a kept set answers that
 * too. Once its set was dropped to make room for another, it is listed again only when that costs
 * at most the checks of ten searches: two broad filters taking turns in a thread too small for
 * both would otherwise be listed at every search.
 */
const REPEATED_PAYBACK = 10 * LIST_PAYBACK;
/** Rowids one thread keeps over all filters: about 30 bytes each in a Set, so ~15 MB. */
export const MAX_KEPT_ROWIDS = 500_000;
/** Filters a thread remembers, kept or seen once. */
export const MAX_FILTERS = 64;

/** The collection a search runs in: a name re-used by a new collection is another collection. */
export interface KeptCollection {
  readonly name: string;
  readonly rowId: number;
  readonly createdAt: number;
}

interface Entry {
  /** Null while the filter has not been listed (seen once, or its set dropped). */
  rowids: Set<number> | null;
  /** The collection's last change the set reflects. */
  seq: number;
  /** Its set was dropped to make room for another filter's. */
  crowdedOut: boolean;
}

export class KeptFilterMatches {
  /** In order of last use, oldest first. */
  private readonly entries = new Map<string, Entry>();
  private listed = 0;

  constructor(private readonly maxRowids = MAX_KEPT_ROWIDS) {}

  /**
   * The filter's chunks for one search, run inside that search's read transaction. A kept set is
   * brought up to date at once and answers everything, its count included; otherwise the rows
   * answer, and the first question decides whether the chunks are listed and kept.
   */
  filtered(db: Database.Database, collection: KeptCollection, filter: MetadataFilter): FilteredChunks {
    const fromRows = filteredChunks(db, collection.name, filter);
    const key = `${collection.rowId}:${collection.createdAt}:${canonical(filter)}`;
    const seenBefore = this.entries.has(key);
    const entry = this.entries.get(key) ?? { rowids: null, seq: 0, crowdedOut: false };
    // Moved to the newest end: the map's order is the order of last use.
    this.entries.delete(key);
    this.entries.set(key, entry);
    const seq = lastChange(db, collection.name);
    if (entry.rowids !== null && entry.seq !== seq) bringUpToDate(db, collection.name, entry, fromRows, seq);
    this.evict(entry);
    if (entry.rowids !== null) return fromSet(entry.rowids);
    let listed: Set<number> | null | undefined;
    const list = (candidates: number) => listed !== undefined ? listed : (listed = this.list(entry, seenBefore, fromRows, seq, candidates));
    return {
      get count() {
        return fromRows.count;
      },
      matching(keys) {
        const set = list(keys.length);
        return set === null ? fromRows.matching(keys) : fromSet(set).matching(keys);
      },
      all() {
        const set = list(Infinity);
        return set === null ? fromRows.all() : fromSet(set).all();
      },
    };
  }

  /** Filters remembered, kept or seen once. */
  get filterCount(): number {
    return this.entries.size;
  }

  /** How many times a filter's chunks were listed (not brought up to date from the changes). */
  get listings(): number {
    return this.listed;
  }

  /** Rowids kept over all filters. */
  get size(): number {
    let total = 0;
    for (const entry of this.entries.values()) total += entry.rowids?.size ?? 0;
    return total;
  }

  /**
   * The filter's chunks listed and kept as of this search's snapshot (`seq`), or null when checking
   * `candidates` chunk rows is the cheaper way: the filter seen for the first time with many
   * chunks, crowded out before and asked again with too many, or with more than a thread keeps.
   */
  private list(entry: Entry, seenBefore: boolean, fromRows: FilteredChunks, seq: number, candidates: number): Set<number> | null {
    const payback = !seenBefore ? LIST_PAYBACK : entry.crowdedOut ? REPEATED_PAYBACK : Infinity;
    if (fromRows.count > this.maxRowids || fromRows.count > payback * candidates) return null;
    entry.rowids = new Set(fromRows.all().map(Number));
    entry.seq = seq;
    this.listed++;
    this.evict(entry);
    return entry.rowids;
  }

  /**
   * Past the rowid bound, drops the sets of the least recently used filters (never `keep`'s),
   * remembering that they were crowded out; past the filter bound, forgets the least recently used.
   */
  private evict(keep: Entry): void {
    let kept = this.size;
    for (const [key, entry] of this.entries) {
      if (kept <= this.maxRowids && this.entries.size <= MAX_FILTERS) break;
      if (entry === keep) continue;
      if (this.entries.size > MAX_FILTERS) this.entries.delete(key);
      else if (entry.rowids === null) continue;
      else entry.crowdedOut = true;
      kept -= entry.rowids?.size ?? 0;
      entry.rowids = null;
    }
  }
}

/** Answers from a kept set: its size is the count, since it holds exactly the matching chunks. */
function fromSet(rowids: Set<number>): FilteredChunks {
  return {
    count: rowids.size,
    matching: (keys) => new Set(keys.filter((key) => rowids.has(Number(key)))),
    all: () => [...rowids].map(BigInt),
  };
}

/**
 * Applies the chunks changed since the set's last change: each is checked in this snapshot, so a
 * deleted or replaced chunk leaves the set and a new matching one joins it. The set is dropped
 * instead (and listed again if it may be) when changes it needs were pruned, or when checking the
 * changes would cost more than listing the filter's chunks.
 */
function bringUpToDate(db: Database.Database, collection: string, entry: Entry, fromRows: FilteredChunks, seq: number): void {
  const changed = entry.seq >= prunedThrough(db, collection)
    ? changedSince(db, collection, entry.seq, Math.ceil(entry.rowids!.size / LIST_PAYBACK))
    : null;
  if (changed === null) {
    entry.rowids = null;
    return;
  }
  const matching = fromRows.matching(changed.map(BigInt));
  for (const rowid of changed) entry.rowids!.delete(rowid);
  for (const rowid of matching) entry.rowids!.add(Number(rowid));
  entry.seq = seq;
}

/** The chunks a search's filter matches: kept between searches where the thread keeps them (`filters`). */
export function searchFilter(db: Database.Database, search: { readonly collection: string; readonly collectionRowId: number; readonly collectionCreatedAt: number; readonly filter?: MetadataFilter }, filters: KeptFilterMatches | null): FilteredChunks {
  return filters === null
    ? filteredChunks(db, search.collection, search.filter!)
    : filters.filtered(db, { name: search.collection, rowId: search.collectionRowId, createdAt: search.collectionCreatedAt }, search.filter!);
}

/** A filter's key: its fields in order, so `{a, b}` and `{b, a}` share one entry. */
function canonical(filter: MetadataFilter): string {
  return JSON.stringify(Object.keys(filter).sort().map((key) => [key, filter[key]]));
}

/** The chunks changed after `seq`, or null when there are more than `limit` changes. */
function changedSince(db: Database.Database, collection: string, seq: number, limit: number): number[] | null {
  const rowids = prepared(db, 'SELECT chunk_rowid FROM chunk_changes WHERE collection = ? AND seq > ? ORDER BY seq LIMIT ?')
    .pluck().all(collection, seq, limit + 1) as number[];
  return rowids.length > limit ? null : [...new Set(rowids)];
}
