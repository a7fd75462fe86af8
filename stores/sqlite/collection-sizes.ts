/**
 * Whether a collection holds enough chunks for an approximate index, as the vector search thread
 * asks before it gives a collection one: an index, once made, is followed at every change and
 * saved for as long as the collection lives, which a collection small enough to scan exactly
 * (below ANN_MIN_CHUNKS) gets nothing for. Counted at most once per COUNT_TTL_MS per collection,
 * and never past the threshold, so a count costs at most that many index entries (~1 ms at 10k).
 */
import type Database from 'better-sqlite3';

/** How long a count is trusted: a collection that grows past the threshold gets its index this much later at most. */
const COUNT_TTL_MS = 1000;
/** Collections whose counts are kept at most (all are forgotten past it: counting again is cheap). */
const MAX_COUNTED = 1024;

export class CollectionSizes {
  private readonly counted = new Map<string, { readonly atLeast: boolean; readonly at: number }>();
  private readonly countUpTo: Database.Statement;

  constructor(db: Database.Database, private readonly threshold: number) {
    this.countUpTo = db.prepare('SELECT count(*) FROM (SELECT 1 FROM chunks WHERE collection = ? LIMIT ?)').pluck();
  }

  /** True when `collection` holds at least the threshold's chunks (always, for a threshold of 0). */
  largeEnough(collection: string): boolean {
    if (this.threshold <= 0) return true;
    const now = performance.now();
    const known = this.counted.get(collection);
    if (known !== undefined && now - known.at < COUNT_TTL_MS) return known.atLeast;
    if (this.counted.size >= MAX_COUNTED) this.counted.clear();
    const atLeast = (this.countUpTo.get(collection, this.threshold) as number) >= this.threshold;
    this.counted.set(collection, { atLeast, at: now });
    return atLeast;
  }
}
