/**
 * Dates and times in XLSX cells. A spreadsheet stores a date as a plain number (days since the
 * workbook's epoch, the fraction being the time of day); only the cell's style says it is a date,
 * through its number format (ECMA-376 part 1, §18.8.30 numFmt, §18.8.10 cellXfs, §18.17.4 dates).
 * Without this a date column reads as "45123", which no one searches for.
 */
import { at, type XmlNode } from './xml-nodes.ts';

/** What a number in a cell of this style means. */
export type NumberKind = 'number' | 'date' | 'datetime' | 'time';

/** Built-in number formats that are dates or times (§18.8.30): ids 14–22, 45–47, and the East Asian 27–36, 50–58. */
const BUILT_IN: ReadonlyMap<number, NumberKind> = new Map([
  [14, 'date'], [15, 'date'], [16, 'date'], [17, 'date'], [18, 'time'], [19, 'time'], [20, 'time'], [21, 'time'], [22, 'datetime'],
  [45, 'time'], [46, 'time'], [47, 'time'],
  ...[27, 28, 29, 30, 31, 34, 35, 36, 50, 51, 52, 53, 54, 57, 58].map((id): [number, NumberKind] => [id, 'date']),
  ...[32, 33, 55, 56].map((id): [number, NumberKind] => [id, 'time']),
]);

/** The kind of each cell style (`s` attribute = index into cellXfs), from `xl/styles.xml` parsed with `xf` and `numFmt` as arrays. */
export function styleKinds(styles: XmlNode | undefined): NumberKind[] {
  const custom = new Map<number, NumberKind>();
  for (const format of (at(styles, 'styleSheet', 'numFmts', 'numFmt') as XmlNode[] | undefined) ?? []) {
    custom.set(Number(format.numFmtId), formatKind(String(format.formatCode ?? '')));
  }
  return ((at(styles, 'styleSheet', 'cellXfs', 'xf') as XmlNode[] | undefined) ?? []).map((xf) => {
    const id = Number(xf.numFmtId ?? 0);
    return custom.get(id) ?? BUILT_IN.get(id) ?? 'number';
  });
}

/**
 * A custom format code's kind: quoted text, escaped characters and colour or locale brackets
 * removed, it is a date when d or y is left, a time when h or s is left ([h] elapsed hours count).
 */
export function formatKind(code: string): NumberKind {
  const bare = code.split(';')[0]!
    .replace(/"[^"]*"/g, '').replace(/\\./g, '')
    .replace(/\[(?![hms]+\])[^\]]*\]/gi, '').toLowerCase();
  const date = /[dy]/.test(bare);
  const time = /[hs]/.test(bare);
  return date && time ? 'datetime' : date ? 'date' : time ? 'time' : 'number';
}

const DAY_MS = 86_400_000;
/** Days from each epoch to 1970-01-01. The 1900 system counts Excel's phantom 1900-02-29, so serials from 61 on line up with 25569. */
const UNIX_EPOCH_SERIAL = { 1900: 25_569, 1904: 24_107 } as const;

/** The cell's number as ISO text: `2017-08-03`, `2017-08-03 14:35:00`, or `14:40:30` (hours past 24 for elapsed times). */
export function formatSerial(serial: number, kind: Exclude<NumberKind, 'number'>, date1904: boolean): string {
  if (kind === 'time') {
    const seconds = Math.round(serial * 86_400);
    const two = (value: number) => String(value).padStart(2, '0');
    return `${two(Math.floor(seconds / 3600))}:${two(Math.floor(seconds / 60) % 60)}:${two(seconds % 60)}`;
  }
  const ms = Math.round((serial - UNIX_EPOCH_SERIAL[date1904 ? 1904 : 1900]) * 86_400) * 1000;
  if (!Number.isFinite(ms) || Math.abs(ms) > 8.64e15) return String(serial);
  const iso = new Date(ms).toISOString();
  return kind === 'date' && ms % DAY_MS === 0 ? iso.slice(0, 10) : `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
}
