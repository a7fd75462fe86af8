import { parse } from 'csv-parse/sync';
import { PermanentError } from '../../../messaging/errors.ts';
import type { ParsedDocument, Section } from '../parsed-document.ts';

/**
 * CSV or TSV → one section whose heading is the header row ("Name | Size | Colour") and whose
 * text is one line per data row, cells joined the same way: every chunk the chunker cuts from it
 * carries the column names in its heading path, and a row's values stay together on one line.
 * Parsed with csv-parse (RFC 4180 quoting, ragged rows allowed).
 */
export function parseTable(text: string, delimiter: ',' | '\t'): ParsedDocument {
  let rows: string[][];
  try {
    rows = parse(text, { delimiter, relax_column_count: true, relax_quotes: true, skip_empty_lines: true, bom: true, trim: true });
  } catch (error) {
    throw new PermanentError(`cannot read the ${delimiter === ',' ? 'CSV' : 'TSV'} (${(error as Error).message}): check its quoting`, { cause: error });
  }
  return { title: null, sections: rows.length ? [tableSection(rows, [])] : [] };
}

/**
 * Rows of cells → one section: the first row (the header) joined "a | b | c" after `headings`,
 * each later row one line joined the same way; rows with no value are dropped. Shared with XLSX.
 */
export function tableSection(rows: readonly (readonly string[])[], headings: readonly string[]): Section {
  const [header, ...body] = rows;
  const line = (row: readonly string[]) => row.map((cell) => cell.replace(/\s+/g, ' ')).join(' | ');
  const heading = header === undefined ? '' : line(header);
  const lines = body.map(line).filter((row) => row.replace(/[\s|]/g, '') !== '');
  return { headings: heading === '' ? headings : [...headings, heading], text: lines.length ? lines.join('\n') : heading };
}
