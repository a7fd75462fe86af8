/**
 * FTS5's own tokenizer, asked through a scratch FTS5 table in the connection's temp schema: the
 * stems a query's words become and how often each stem occurs in a chunk's columns, exactly as
 * the collections' lexical indexes split, fold and stem them (migrations.ts LEXICAL_TOKENIZER).
 * Reimplementing unicode61 and FTS5's Porter stemmer here could drift from them on any
 * character; asking them cannot. The temp schema is the connection's own and writable even on a
 * read-only connection (the search threads'), and a row lives there only within one call.
 */
import type Database from 'better-sqlite3';
import { LEXICAL_TOKENIZER } from './migrations.ts';

const TABLE = 'temp.rag_tokens';
const VOCABULARY = 'temp.rag_tokens_instances';

/** Reading every occurrence once costs about as much as this many per stem read on its own. */
const SCAN_TOKENS_PER_STEM = 40;

/** A chunk's indexed columns, under its rowid. */
export interface TokenRow {
  readonly rowid: number;
  readonly text: string;
  readonly heading: string | null;
  readonly title: string | null;
}

export class Fts5Tokens {
  private readonly insertRow: Database.Statement;
  private readonly wordStems: Database.Statement;
  private readonly stemRows: Database.Statement;
  private readonly clear: Database.Statement;

  constructor(db: Database.Database) {
    // Contentless: only the index is kept, and 'delete-all' empties it at once.
    db.exec(
      `CREATE VIRTUAL TABLE IF NOT EXISTS ${TABLE} USING fts5(text, heading, title, content = '', tokenize = '${LEXICAL_TOKENIZER}');
       CREATE VIRTUAL TABLE IF NOT EXISTS ${VOCABULARY} USING fts5vocab(temp, rag_tokens, instance);`,
    );
    this.insertRow = db.prepare(`INSERT INTO ${TABLE} (rowid, text, heading, title) VALUES (?, ?, ?, ?)`);
    this.wordStems = db.prepare(`SELECT doc, term FROM ${VOCABULARY}`).raw();
    this.stemRows = db.prepare(`SELECT group_concat(doc) AS docs FROM ${VOCABULARY} WHERE term = ?`);
    this.clear = db.prepare(`INSERT INTO ${TABLE} (${TABLE.slice('temp.'.length)}) VALUES ('delete-all')`);
  }

  /**
   * The stem each word becomes, in order; null when a word does not become exactly one token
   * (FTS5 would read it as a phrase of several, or as nothing).
   */
  stems(words: readonly string[]): string[] | null {
    try {
      words.forEach((word, i) => this.insertRow.run(i + 1, word, null, null));
      const found = this.wordStems.all() as [number, string][];
      const stems = new Array<string | undefined>(words.length);
      for (const [doc, term] of found) {
        if (stems[doc - 1] !== undefined) return null;
        stems[doc - 1] = term;
      }
      return stems.every((stem) => stem !== undefined) && found.length === words.length ? stems as string[] : null;
    } finally {
      this.clear.run();
    }
  }

  /**
   * For each of `stems`, the rows holding it, one rowid per occurrence across their columns,
   * ascending and joined by commas (as fts5vocab lists them); stems in none are left out.
   * `tokens`: how many tokens the rows hold together.
   */
  occurrences(rows: readonly TokenRow[], stems: ReadonlySet<string> | ReadonlyMap<string, unknown>, tokens: number): Map<string, string> {
    try {
      for (const row of rows) this.insertRow.run(row.rowid, row.text, row.heading, row.title);
      const found = new Map<string, string>();
      // Whichever reads less: every occurrence of the rows once, or each stem's own.
      if (tokens < stems.size * SCAN_TOKENS_PER_STEM) {
        const docs = new Map<string, number[]>();
        for (const [doc, term] of this.wordStems.iterate() as IterableIterator<[number, string]>) {
          if (!stems.has(term)) continue;
          let list = docs.get(term);
          if (list === undefined) docs.set(term, (list = []));
          list.push(doc);
        }
        for (const [term, list] of docs) found.set(term, list.sort((a, b) => a - b).join(','));
        return found;
      }
      for (const stem of stems.keys()) {
        const { docs } = this.stemRows.get(stem) as { docs: string | null };
        if (docs !== null) found.set(stem, docs);
      }
      return found;
    } finally {
      this.clear.run();
    }
  }
}
