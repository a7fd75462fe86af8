/**
 * Pipe tables in a section's text, in GitHub Flavored Markdown's form: a header row, a delimiter
 * row of as many cells (`--- | :---:`), then body rows up to a blank line; outer pipes optional.
 * Markdown sources keep their tables so, and the HTML parser writes a table whose first row is
 * header cells so. The chunker repeats a long table's header in each of its chunks.
 */
export interface PipeTable {
  /** Offset of the header row in the text. */
  readonly start: number;
  /** Offset just past the last body row. */
  readonly end: number;
  /** The header row and the delimiter row, joined by a newline. */
  readonly header: string;
  /** The body rows, in order. */
  readonly rows: readonly string[];
}

const DELIMITER_CELL = /^\s*:?-+:?\s*$/;

/** Every pipe table of `text` with at least one body row, in order. */
export function findPipeTables(text: string): PipeTable[] {
  const lines = linesWithOffsets(text);
  const tables: PipeTable[] = [];
  let i = 0;
  while (i + 2 < lines.length) {
    const head = lines[i]!;
    const delimiter = lines[i + 1]!;
    const columns = head.line.includes('|') ? cells(head.line).length : 0;
    if (columns === 0 || !isDelimiterRow(delimiter.line, columns)) {
      i += 1;
      continue;
    }
    let last = i + 1;
    while (last + 1 < lines.length && lines[last + 1]!.line.trim() !== '') last += 1;
    if (last > i + 1) {
      const rows = lines.slice(i + 2, last + 1).map(({ line }) => line);
      tables.push({ start: head.offset, end: lines[last]!.offset + lines[last]!.line.length, header: `${head.line}\n${delimiter.line}`, rows });
    }
    i = last + 1;
  }
  return tables;
}

function isDelimiterRow(line: string, columns: number): boolean {
  if (!line.includes('-')) return false;
  const row = cells(line);
  // One column needs its outer pipes (`| --- |`), or any Markdown rule (`---`) would qualify.
  if (row.length === 1 && !/^\s*\|.*\|\s*$/.test(line)) return false;
  return row.length === columns && row.every((cell) => DELIMITER_CELL.test(cell));
}

/** A row's cells: split on pipes not escaped, without the optional outer ones. */
function cells(line: string): string[] {
  return line.trim().replace(/^\|/, '').replace(/(?<!\\)\|$/, '').split(/(?<!\\)\|/);
}

function linesWithOffsets(text: string): { readonly line: string; readonly offset: number }[] {
  const lines: { line: string; offset: number }[] = [];
  let offset = 0;
  for (const line of text.split('\n')) {
    lines.push({ line, offset });
    offset += line.length + 1;
  }
  return lines;
}
