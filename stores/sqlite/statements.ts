/**
 * Prepared statements kept per connection. better-sqlite3 compiles a statement on every
 * `db.prepare` (about 16 µs for the job-row update, twice what running it with its select costs),
 * and the write path prepares a dozen statements per document in every actor and the gateway.
 * For SQL that never changes a statement's mode: `.pluck()` or `.raw()` on a cached statement
 * would stick for every later caller, so those sites prepare their own.
 */
import type Database from 'better-sqlite3';

/** Different SQL texts kept per connection at most (per-collection table names are the only variable part). */
const MAX_STATEMENTS = 512;

const caches = new WeakMap<Database.Database, Map<string, Database.Statement>>();

/** `db.prepare(sql)`, compiled once per connection. */
export function prepared(db: Database.Database, sql: string): Database.Statement {
  let cache = caches.get(db);
  if (!cache) caches.set(db, (cache = new Map()));
  let statement = cache.get(sql);
  if (!statement) {
    if (cache.size >= MAX_STATEMENTS) cache.clear();
    statement = db.prepare(sql);
    cache.set(sql, statement);
  }
  return statement;
}
