/**
 * What bm25 reads from an FTS5 index besides its matches, read here the way FTS5 stores it, so
 * that a ranking computed outside SQLite (lexical-postings.ts) uses the very numbers bm25 uses:
 *
 * - the averages record (row 1 of `<table>_data`): a varint row count, then one varint token
 *   total per column (xRowCount, xColumnTotalSize);
 * - `<table>_docsize`: per row, a blob of one varint token count per column (xColumnSize).
 *
 * Varints are SQLite's: big-endian, seven bits a byte, the ninth byte whole.
 */
import type Database from 'better-sqlite3';
import { prepared } from './statements.ts';

/**
 * The row count and the token total over every column, as bm25 counts them (and its average
 * length divides them), in one point read; count(*) would visit every row.
 */
export interface IndexTotals {
  readonly rows: number;
  readonly tokens: number;
}

export function indexTotals(db: Database.Database, table: string): IndexTotals {
  const record = prepared(db, `SELECT block FROM ${table}_data WHERE id = 1`).get() as { block: Buffer } | undefined;
  if (record === undefined) return { rows: 0, tokens: 0 };
  const values = varints(record.block);
  return { rows: values[0] ?? 0, tokens: values.slice(1).reduce((sum, value) => sum + value, 0) };
}

/** Every varint in `bytes`, in order. */
function varints(bytes: Uint8Array): number[] {
  const values: number[] = [];
  let at = 0;
  while (at < bytes.length) {
    let value = 0;
    for (let i = 0; ; i++) {
      const byte = bytes[at++]!;
      if (i === 8) { value = value * 256 + byte; break; }
      value = value * 128 + (byte & 0x7f);
      if ((byte & 0x80) === 0 || at >= bytes.length) break;
    }
    values.push(value);
  }
  return values;
}

/**
 * Each row's length in tokens over every column (bm25's D), from `<table>_docsize` in one
 * statement: rowid and blob as hex, joined, parsed here (a row at a time through the driver took
 * six times as long). `onRow` gets each rowid and length; `rowids` limits the read to those rows.
 */
export function readRowLengths(db: Database.Database, table: string, onRow: (rowid: number, length: number) => void, rowids?: readonly number[]): void {
  const { joined } = (rowids === undefined
    ? prepared(db, `SELECT group_concat(id || ':' || hex(sz)) AS joined FROM ${table}_docsize`).get()
    : prepared(db, `SELECT group_concat(id || ':' || hex(sz)) AS joined FROM ${table}_docsize WHERE id IN (SELECT value FROM json_each(?))`)
      .get(JSON.stringify(rowids))) as { joined: string | null };
  if (joined === null) return;
  let rowid = 0, length = 0, value = 0, shift = 0, inBlob = false, high = -1;
  const end = () => { if (inBlob) onRow(rowid, length); rowid = 0; length = 0; value = 0; shift = 0; inBlob = false; high = -1; };
  for (let i = 0; i < joined.length; i++) {
    const c = joined.charCodeAt(i);
    if (c === 44 /* , */) { end(); continue; }
    if (!inBlob) {
      if (c === 58 /* : */) inBlob = true;
      else rowid = rowid * 10 + (c - 48);
      continue;
    }
    const nibble = c <= 57 ? c - 48 : c - 55;
    if (high < 0) { high = nibble; continue; }
    const byte = high * 16 + nibble;
    high = -1;
    if (shift === 8) {
      value = value * 256 + byte;
    } else {
      value = value * 128 + (byte & 0x7f);
      shift++;
      if ((byte & 0x80) !== 0) continue;
    }
    length += value;
    value = 0;
    shift = 0;
  }
  end();
}
