/**
 * Schema of the embedded store. Migrations are idempotent (`IF NOT EXISTS`) and run inside a
 * `BEGIN IMMEDIATE` transaction guarded by `PRAGMA user_version`, so two processes opening a new
 * file at once serialize on the write lock and the second one finds the work done.
 */
import type Database from 'better-sqlite3';

/** Schema versions in order; index + 1 is the `user_version` after applying it. */
const MIGRATIONS: readonly (string | ((db: Database.Database) => void))[] = [
  `
  CREATE TABLE IF NOT EXISTS jobs (
    id          TEXT PRIMARY KEY,
    collection  TEXT NOT NULL,
    document_id TEXT NOT NULL,
    status      TEXT NOT NULL,
    stage       TEXT,
    progress    REAL NOT NULL DEFAULT 0,
    attempts    INTEGER NOT NULL DEFAULT 0,
    error       TEXT,
    chunk_count INTEGER,
    priority    TEXT NOT NULL,
    seq         INTEGER NOT NULL DEFAULT 1,
    trace_id    TEXT,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    finished_at INTEGER
  ) STRICT;
  -- listJobs pages newest first, optionally within one collection or status.
  CREATE INDEX IF NOT EXISTS jobs_by_created ON jobs (created_at DESC, id DESC);
  CREATE INDEX IF NOT EXISTS jobs_by_collection ON jobs (collection, created_at DESC, id DESC);
  CREATE INDEX IF NOT EXISTS jobs_by_status ON jobs (status, created_at DESC, id DESC);

  CREATE TABLE IF NOT EXISTS collections (
    id                 INTEGER PRIMARY KEY,
    name               TEXT NOT NULL UNIQUE,
    embedder_name      TEXT NOT NULL,
    embedder_dimension INTEGER NOT NULL,
    created_at         INTEGER NOT NULL
  ) STRICT;

  -- A document id is unique across collections: re-indexing it elsewhere moves it.
  CREATE TABLE IF NOT EXISTS documents (
    id           TEXT PRIMARY KEY,
    collection   TEXT NOT NULL REFERENCES collections (name),
    title        TEXT,
    mime_type    TEXT,
    source_url   TEXT,
    status       TEXT NOT NULL,
    chunk_count  INTEGER NOT NULL DEFAULT 0,
    metadata     TEXT NOT NULL DEFAULT '{}',
    content_hash TEXT,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX IF NOT EXISTS documents_by_collection ON documents (collection);

  -- rowid doubles as the key of the chunk's vector in the collection's vec0 table.
  CREATE TABLE IF NOT EXISTS chunks (
    rowid       INTEGER PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    document_id TEXT NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    collection  TEXT NOT NULL,
    ordinal     INTEGER NOT NULL,
    text        TEXT NOT NULL,
    heading     TEXT,
    metadata    TEXT NOT NULL DEFAULT '{}',
    title       TEXT
  ) STRICT;
  CREATE INDEX IF NOT EXISTS chunks_by_document ON chunks (document_id);
  CREATE INDEX IF NOT EXISTS chunks_by_collection ON chunks (collection);
  `,
  `
  -- Deleting a document cancels its running jobs: find them without a scan.
  CREATE INDEX IF NOT EXISTS jobs_by_document ON jobs (document_id, created_at DESC, id DESC);
  -- The stall watchdog looks for unfinished jobs by their last change.
  CREATE INDEX IF NOT EXISTS jobs_by_status_updated ON jobs (status, updated_at);
  -- The input of the stage a job stopped in, so a retry resumes there (issue 3).
  CREATE TABLE IF NOT EXISTS resume_points (
    job_id   TEXT PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
    stage    TEXT NOT NULL,
    message  TEXT NOT NULL,
    saved_at INTEGER NOT NULL
  ) STRICT;
  `,
  `
  -- A document belongs to its collection: its identity is (collection, id), so the same id in
  -- two collections names two documents and no write in one can move or replace the other's
  -- (issue 12). Chunk ids are unique within a collection. SQLite cannot change a key in place:
  -- the tables are rebuilt (rowids kept, so the vectors keyed by chunk rowid stay valid), with
  -- foreign keys off during the migration (see migrate).
  CREATE TABLE documents_v3 (
    id           TEXT NOT NULL,
    collection   TEXT NOT NULL REFERENCES collections (name),
    title        TEXT,
    mime_type    TEXT,
    source_url   TEXT,
    status       TEXT NOT NULL,
    chunk_count  INTEGER NOT NULL DEFAULT 0,
    metadata     TEXT NOT NULL DEFAULT '{}',
    content_hash TEXT,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    PRIMARY KEY (collection, id)
  ) STRICT;
  INSERT INTO documents_v3 (id, collection, title, mime_type, source_url, status, chunk_count, metadata, content_hash, created_at, updated_at)
    SELECT id, collection, title, mime_type, source_url, status, chunk_count, metadata, content_hash, created_at, updated_at FROM documents;

  CREATE TABLE chunks_v3 (
    rowid       INTEGER PRIMARY KEY,
    id          TEXT NOT NULL,
    document_id TEXT NOT NULL,
    collection  TEXT NOT NULL,
    ordinal     INTEGER NOT NULL,
    text        TEXT NOT NULL,
    heading     TEXT,
    metadata    TEXT NOT NULL DEFAULT '{}',
    title       TEXT,
    UNIQUE (collection, id),
    FOREIGN KEY (collection, document_id) REFERENCES documents (collection, id) ON DELETE CASCADE
  ) STRICT;
  INSERT INTO chunks_v3 (rowid, id, document_id, collection, ordinal, text, heading, metadata, title)
    SELECT rowid, id, document_id, collection, ordinal, text, heading, metadata, title FROM chunks;

  DROP TABLE chunks;
  DROP TABLE documents;
  ALTER TABLE documents_v3 RENAME TO documents;
  ALTER TABLE chunks_v3 RENAME TO chunks;
  CREATE INDEX chunks_by_document ON chunks (collection, document_id);
  CREATE INDEX chunks_by_collection ON chunks (collection);
  -- Deleting a document cancels that collection's running jobs of its id: find them without a scan.
  DROP INDEX IF EXISTS jobs_by_document;
  CREATE INDEX jobs_by_document ON jobs (collection, document_id, created_at DESC, id DESC);
  `,
  // 4: the transactional outbox: a job and its first message commit together (the point of acceptance).
  `
  CREATE TABLE IF NOT EXISTS outbox (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id        TEXT NOT NULL,
    exchange      TEXT NOT NULL,
    routing_key   TEXT NOT NULL,
    content       BLOB NOT NULL,
    options       TEXT NOT NULL,
    priority      INTEGER NOT NULL,
    claimed_until INTEGER NOT NULL DEFAULT 0
  ) STRICT;
  CREATE INDEX IF NOT EXISTS outbox_by_priority ON outbox (priority DESC, seq);
  `,
  // 5: hybrid search's lexical index, one shared by every collection (8 gives each its own);
  // 6: the change sequence the approximate vector index follows.
  `
  -- The lexical index of hybrid search (issue 14): FTS5 over the chunks' text, heading and title,
  -- porter-stemmed ("echoing" matches "echo"). External content: the text lives once, in chunks.
  -- Triggers keep it in the transaction that writes or deletes the chunks, however they go.
  CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(
    text, heading, title, content = 'chunks', content_rowid = 'rowid',
    tokenize = 'porter unicode61 remove_diacritics 2'
  );
  CREATE TRIGGER IF NOT EXISTS chunks_fts_insert AFTER INSERT ON chunks BEGIN
    INSERT INTO chunks_fts (rowid, text, heading, title) VALUES (new.rowid, new.text, new.heading, new.title);
  END;
  CREATE TRIGGER IF NOT EXISTS chunks_fts_delete AFTER DELETE ON chunks BEGIN
    INSERT INTO chunks_fts (chunks_fts, rowid, text, heading, title) VALUES ('delete', old.rowid, old.text, old.heading, old.title);
  END;
  CREATE TRIGGER IF NOT EXISTS chunks_fts_update AFTER UPDATE OF text, heading, title ON chunks BEGIN
    INSERT INTO chunks_fts (chunks_fts, rowid, text, heading, title) VALUES ('delete', old.rowid, old.text, old.heading, old.title);
    INSERT INTO chunks_fts (rowid, text, heading, title) VALUES (new.rowid, new.text, new.heading, new.title);
  END;
  -- Chunks written before this version.
  INSERT INTO chunks_fts (chunks_fts) VALUES ('rebuild');
  `,
  `
  -- The change sequence the approximate vector index follows (issue 14): every chunk written or
  -- deleted appends here in the same transaction, so each gateway's index catches up by reading
  -- what came after the last sequence number it applied. op 1 = added, 0 = removed.
  CREATE TABLE IF NOT EXISTS chunk_changes (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    collection   TEXT NOT NULL,
    chunk_rowid  INTEGER NOT NULL,
    op           INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX IF NOT EXISTS chunk_changes_by_collection ON chunk_changes (collection, seq);
  CREATE TRIGGER IF NOT EXISTS chunk_changes_insert AFTER INSERT ON chunks BEGIN
    INSERT INTO chunk_changes (collection, chunk_rowid, op) VALUES (new.collection, new.rowid, 1);
  END;
  CREATE TRIGGER IF NOT EXISTS chunk_changes_delete AFTER DELETE ON chunks BEGIN
    INSERT INTO chunk_changes (collection, chunk_rowid, op) VALUES (old.collection, old.rowid, 0);
  END;
  -- Chunks written before this version.
  INSERT INTO chunk_changes (collection, chunk_rowid, op) SELECT collection, rowid, 1 FROM chunks ORDER BY rowid;
  `,
  `
  -- How far chunk_changes was pruned (change-log.ts): per collection, the highest sequence number
  -- removed. A follower that applied less than this rebuilds its index from the chunks table.
  CREATE TABLE IF NOT EXISTS chunk_changes_pruned (
    collection   TEXT PRIMARY KEY,
    through_seq  INTEGER NOT NULL
  ) STRICT;
  `,
  // 8: one lexical index per collection instead of one shared by all (see createLexicalTable).
  (db) => {
    const collections = db.prepare('SELECT id, name FROM collections').all() as { id: number; name: string }[];
    for (const { id, name } of collections) {
      createLexicalTable(db, id);
      db.prepare(`INSERT INTO ${lexicalTableName(id)} (rowid, text, heading, title)
        SELECT rowid, text, heading, title FROM chunks WHERE collection = ?`).run(name);
    }
    db.exec(`
      DROP TRIGGER IF EXISTS chunks_fts_insert;
      DROP TRIGGER IF EXISTS chunks_fts_delete;
      DROP TRIGGER IF EXISTS chunks_fts_update;
      DROP TABLE IF EXISTS chunks_fts;
    `);
  },
  // 9: the job indexes ascending. A job's keys only grow (created_at, within its collection, its
  // status, its document), so ascending each new entry goes after every other of its range and,
  // in the newest-first listing, at the end of the whole index, where SQLite's B-tree appends to
  // its last page; descending, it went in front of them. Measured with them descending, accepting
  // a job (its row and outbox message, in batches of 8 while another connection starts earlier
  // jobs) took 1.5 times as long, in the inserts and in the commit writing the pages they changed.
  // Newest-first pages read the same indexes backwards, with the same query plans.
  `
  DROP INDEX IF EXISTS jobs_by_created;
  DROP INDEX IF EXISTS jobs_by_collection;
  DROP INDEX IF EXISTS jobs_by_status;
  DROP INDEX IF EXISTS jobs_by_document;
  CREATE INDEX jobs_by_created ON jobs (created_at, id);
  CREATE INDEX jobs_by_collection ON jobs (collection, created_at, id);
  CREATE INDEX jobs_by_status ON jobs (status, created_at, id);
  CREATE INDEX jobs_by_document ON jobs (collection, document_id, created_at, id);
  `,
  // 10: what a document's chunks were made from (services/document-fingerprint.ts), so that an
  // unchanged document ingested again finishes at once. Null for documents indexed before.
  `
  ALTER TABLE documents ADD COLUMN fingerprint TEXT;
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Brings the database to SCHEMA_VERSION (or `to`, for tests that build an older file); a no-op
 * when another process already did. Foreign keys are off while tables are rebuilt (a dropped
 * parent table would otherwise cascade into its children) and checked before the commit, as
 * https://www.sqlite.org/lang_altertable.html#otheralter prescribes.
 */
export function migrate(db: Database.Database, to = SCHEMA_VERSION): void {
  const current = (): number => db.pragma('user_version', { simple: true }) as number;
  if (current() >= to) return;
  const foreignKeys = db.pragma('foreign_keys', { simple: true }) as number;
  db.pragma('foreign_keys = OFF');
  try {
    db.transaction(() => {
      // Re-read under the write lock: another process may have migrated while we waited.
      const from = current();
      for (let version = from; version < to; version++) {
        const migration = MIGRATIONS[version]!;
        if (typeof migration === 'string') db.exec(migration);
        else migration(db);
      }
      const violations = db.pragma('foreign_key_check') as unknown[];
      if (violations.length > 0) throw new Error(`schema migration left ${violations.length} foreign key violations: nothing was changed`);
      if (from < to) db.pragma(`user_version = ${to}`);
    }).immediate();
  } finally {
    db.pragma(`foreign_keys = ${foreignKeys ? 'ON' : 'OFF'}`);
  }
}

/** Name of the vec0 table holding one collection's vectors. */
export function vectorTableName(collectionRowId: number): string {
  if (!Number.isSafeInteger(collectionRowId)) throw new Error(`invalid collection row id ${collectionRowId}`);
  return `vec_c${collectionRowId}`;
}

/** Creates a collection's vector table (cosine distance) if it does not exist. */
export function createVectorTable(db: Database.Database, collectionRowId: number, dimension: number): void {
  if (!Number.isInteger(dimension) || dimension < 1) {
    throw new Error(`embedder.dimension must be a positive integer, got ${dimension}`);
  }
  db.exec(
    `CREATE VIRTUAL TABLE IF NOT EXISTS ${vectorTableName(collectionRowId)} ` +
    `USING vec0(embedding float[${dimension}] distance_metric=cosine)`,
  );
}

/** Name of the FTS5 table holding one collection's lexical index. */
export function lexicalTableName(collectionRowId: number): string {
  if (!Number.isSafeInteger(collectionRowId)) throw new Error(`invalid collection row id ${collectionRowId}`);
  return `fts_c${collectionRowId}`;
}

/**
 * Creates a collection's lexical index (hybrid search, issue 14) if it does not exist: FTS5 over
 * its chunks' text, heading and title, porter-stemmed ("echoing" matches "echo"). The chunk
 * writes keep it in their transaction (index-document.ts). One per collection, as the vectors
 * are: BM25's statistics (how many chunks, how many hold a word, how long they are) are the
 * collection's own, so one collection's documents never change another's ranking; and a search
 * reads only its collection's matches. One index shared by every collection let the corpus
 * copies in other collections crowd out the searched one's matches (bench:search, README).
 *
 * External content: the text lives once, in chunks, and a chunk leaves the index by a 'delete'
 * with the values it was added with (removeChunks), which keeps bm25's row count and average
 * lengths exact; a contentless table deleting by rowid alone leaves them counting deleted rows.
 * Never 'rebuild' such a table: it would read every collection's chunks.
 */
export function createLexicalTable(db: Database.Database, collectionRowId: number): void {
  db.exec(
    `CREATE VIRTUAL TABLE IF NOT EXISTS ${lexicalTableName(collectionRowId)} USING fts5(` +
    `text, heading, title, content = 'chunks', content_rowid = 'rowid', tokenize = '${LEXICAL_TOKENIZER}')`,
  );
}

/** How every lexical index splits and stems text (fts5-tokens.ts asks the same tokenizer). */
export const LEXICAL_TOKENIZER = 'porter unicode61 remove_diacritics 2';
