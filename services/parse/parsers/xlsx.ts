import { XMLParser } from 'fast-xml-parser';
import { posix } from 'node:path';
import type { ParsedDocument, Section } from '../parsed-document.ts';
import { tableSection } from './table.ts';
import { at, relationshipTargets, textOf, type XmlNode } from './xml-nodes.ts';
import { formatSerial, styleKinds, type NumberKind } from './xlsx-dates.ts';
import { declaredTitle, isPropertyPart } from './declared-title.ts';
import { zipEntries, zipText } from './zip-entries.ts';

const FORMAT = 'XLSX';
const ARRAYS = new Set(['sheet', 'Relationship', 'si', 'r', 'row', 'c', 'xf', 'numFmt']);
// parseTagValue off: cell values stay the text the file holds ("007" is not 7); htmlEntities decodes &#39;.
const xml = new XMLParser({
  ignoreAttributes: false, attributeNamePrefix: '', trimValues: false, parseTagValue: false, parseAttributeValue: false,
  htmlEntities: true, isArray: (name, _path, _leaf, isAttribute) => !isAttribute && ARRAYS.has(name), // a cell's r="B7" is no run <r>
});

type Node = XmlNode;

/**
 * XLSX → one section per worksheet, in workbook order (`xl/workbook.xml`'s sheet list through its
 * relationships), read like a CSV: the sheet name then its first non-empty row (the header) in the
 * heading path, each later row one `a | b | c` line. Cells are placed by their reference (B7), so
 * skipped cells keep the columns aligned. Values as stored: shared and inline strings, numbers,
 * dates and times as ISO text where the cell's style says so (xlsx-dates.ts), booleans as
 * TRUE/FALSE, formula results, error codes. Title: the one its properties declare.
 * (ECMA-376 part 1, §18.2 workbook, §18.3 sheets, §18.4 shared strings.)
 */
export function parseXlsx(content: Uint8Array): ParsedDocument {
  const entries = zipEntries(content, FORMAT, (name) =>
    name === 'xl/workbook.xml' || name === 'xl/_rels/workbook.xml.rels' || name === 'xl/sharedStrings.xml' || name === 'xl/styles.xml' ||
    /^xl\/worksheets\/[^/]+\.xml$/.test(name) || isPropertyPart(name));
  const workbook = xml.parse(zipText(entries, 'xl/workbook.xml', FORMAT)) as Node;
  const targets = relationshipTargets(xml.parse(zipText(entries, 'xl/_rels/workbook.xml.rels', FORMAT)));
  const shared = entries.has('xl/sharedStrings.xml')
    ? ((at(xml.parse(zipText(entries, 'xl/sharedStrings.xml', FORMAT)), 'sst', 'si') as unknown[] | undefined) ?? []).map(richText)
    : [];
  const numbers: CellNumbers = {
    kinds: entries.has('xl/styles.xml') ? styleKinds(xml.parse(zipText(entries, 'xl/styles.xml', FORMAT)) as Node) : [],
    date1904: ['1', 'true'].includes(String(at(workbook, 'workbook', 'workbookPr', 'date1904'))),
  };

  const sections: Section[] = [];
  for (const sheet of (at(workbook, 'workbook', 'sheets', 'sheet') as Node[] | undefined) ?? []) {
    const target = targets.get(String(sheet['r:id']));
    if (target === undefined) continue;
    // Targets are relative to xl/, or absolute from the package root.
    const bytes = entries.get(target.startsWith('/') ? target.slice(1) : posix.normalize(posix.join('xl', target)));
    if (bytes === undefined) continue;
    const rows = sheetRows(xml.parse(new TextDecoder().decode(bytes)) as Node, shared, numbers);
    const name = String(sheet.name ?? '').trim();
    if (rows.length > 0) sections.push(tableSection(rows, name === '' ? [] : [name]));
  }
  return { title: declaredTitle(entries), sections };
}

/** The sheet's non-empty rows, each cell at its column; trailing empty cells dropped. */
/** How the workbook's numbers read: each cell style's kind and the date epoch. */
interface CellNumbers {
  readonly kinds: readonly NumberKind[];
  readonly date1904: boolean;
}

function sheetRows(worksheet: Node, shared: readonly string[], numbers: CellNumbers): string[][] {
  const rows: string[][] = [];
  for (const row of (at(worksheet, 'worksheet', 'sheetData', 'row') as Node[] | undefined) ?? []) {
    const cells: string[] = [];
    for (const cell of (row.c as Node[] | undefined) ?? []) {
      const column = typeof cell.r === 'string' ? columnIndex(cell.r) : cells.length;
      cells[column] = cellText(cell, shared, numbers).trim();
    }
    const filled = Array.from(cells, (cell) => cell ?? '');
    while (filled.length > 0 && filled[filled.length - 1] === '') filled.pop();
    if (filled.length > 0) rows.push(filled);
  }
  return rows;
}

function cellText(cell: Node, shared: readonly string[], numbers: CellNumbers): string {
  const value = textOf(cell.v);
  switch (cell.t) {
    case undefined: case 'n': {
      const kind = numbers.kinds[Number(cell.s ?? 0)] ?? 'number';
      const serial = Number(value);
      return kind === 'number' || value === '' || !Number.isFinite(serial) ? value : formatSerial(serial, kind, numbers.date1904);
    }
    case 's': return shared[Number(value)] ?? '';
    case 'inlineStr': return richText(cell.is);
    case 'b': return value === '1' ? 'TRUE' : value === '0' ? 'FALSE' : value;
    default: return value; // str (formula string), e (error such as #DIV/0!), d (ISO date)
  }
}

/** `B7` → 1: the column letters read as a base-26 number. */
function columnIndex(reference: string): number {
  const letters = /^[A-Z]+/i.exec(reference)?.[0].toUpperCase() ?? '';
  let index = 0;
  for (const letter of letters) index = index * 26 + letter.charCodeAt(0) - 64;
  return Math.max(index - 1, 0);
}

/** A string item: plain `<t>`, or rich-text runs `<r><t>`; phonetic guides (`<rPh>`) left out. */
function richText(item: unknown): string {
  if (typeof item !== 'object' || item === null) return textOf(item);
  const node = item as Node;
  return textOf(node.t) + ((node.r as Node[] | undefined) ?? []).map((run) => textOf(run.t)).join('');
}
