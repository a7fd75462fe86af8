/**
 * The SQLite side of the transactional outbox: messages committed with their job, leased by a
 * relay, removed once the broker confirmed them. Statements only; the store runs them inside
 * its write transactions.
 */
import type Database from 'better-sqlite3';
import type { OutboxEntry, OutboxMessage } from '../store.ts';
import { prepared } from './statements.ts';

interface OutboxRow {
  seq: number;
  job_id: string;
  exchange: string;
  routing_key: string;
  content: Buffer;
  options: string;
  priority: number;
}

export function insertOutbox(db: Database.Database, jobId: string, message: OutboxMessage): void {
  prepared(db, 
    `INSERT INTO outbox (job_id, exchange, routing_key, content, options, priority)
     VALUES (?, ?, ?, ?, ?, ?)`,
  ).run(jobId, message.exchange, message.routingKey, message.content, JSON.stringify(message.options), message.priority);
}

/**
 * Whether any message waits unclaimed: a plain read, so a relay polling an empty outbox never
 * takes the write lock that every actor's store write queues for.
 */
export function hasClaimableOutbox(db: Database.Database, now = Date.now()): boolean {
  return prepared(db, 'SELECT 1 FROM outbox WHERE claimed_until <= ? LIMIT 1').get(now) !== undefined;
}

export function claimOutbox(db: Database.Database, limit: number, leaseMs: number, now = Date.now()): OutboxEntry[] {
  const rows = prepared(db, 
    `UPDATE outbox SET claimed_until = @until
     WHERE seq IN (SELECT seq FROM outbox WHERE claimed_until <= @now ORDER BY priority DESC, seq LIMIT @limit)
     RETURNING seq, job_id, exchange, routing_key, content, options, priority`,
  ).all({ until: now + leaseMs, now, limit }) as OutboxRow[];
  return rows
    .sort((a, b) => b.priority - a.priority || a.seq - b.seq)
    .map((row) => ({
      id: String(row.seq),
      jobId: row.job_id,
      exchange: row.exchange,
      routingKey: row.routing_key,
      content: row.content,
      options: JSON.parse(row.options) as Record<string, unknown>,
      priority: row.priority,
    }));
}

export function completeOutbox(db: Database.Database, ids: readonly string[]): void {
  prepared(db, 'DELETE FROM outbox WHERE seq IN (SELECT value FROM json_each(?))').run(JSON.stringify(ids.map(Number)));
}

export function countOutbox(db: Database.Database): number {
  return (prepared(db, 'SELECT count(*) AS n FROM outbox').get() as { n: number }).n;
}
