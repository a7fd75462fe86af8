/**
 * Whether a collection holds enough chunks for an approximate index, as the vector search thread
 * asks before it gives a collection one: an index, once made, is followed at every change and
 * saved for as long as the collection lives, which a collection small enough to scan exactly
 * (below ANN_MIN_CHUNKS) gets nothing for. Counted at most once per COUNT_TTL_MS per collection,
 * and never past the number asked about, so a count costs at most that many index entries
 * (~1 ms at 10k).
 */
import type Database from 'better-sqlite3';

/** How long a count is trusted: a collection that grows past the threshold gets its index this much later at most. */
const COUNT_TTL_MS = 1000;
/** Collections whose counts are kept at most (all are forgotten past it: counting again is cheap). */
const MAX_COUNTED = 1024;

export class CollectionSizes {
  /** Per collection, its chunks counted up to the number asked about, and when. */
  private readonly counted = new Map<string, { readonly chunks: number; readonly at: number }>();
  private readonly countUpTo: Database.Statement;

  constructor(db: Database.Database) {
    this.countUpTo = db.prepare('SELECT count(*) FROM (SELECT 1 FROM chunks WHERE collection = ? LIMIT ?)').pluck();
  }

  /** True when `collection` holds at least `chunks` chunks (always, for 0). */
  atLeast(collection: string, chunks: number): boolean {
    if (chunks <= 0) return true;
    const now = performance.now();
    const known = this.counted.get(collection);
    if (known !== undefined && now - known.at < COUNT_TTL_MS) return known.chunks >= chunks;
    if (this.counted.size >= MAX_COUNTED) this.counted.clear();
    const counted = this.countUpTo.get(collection, chunks) as number;
    this.counted.set(collection, { chunks: counted, at: now });
    return counted >= chunks;
  }
}
