import type { PdfLine } from './pdf-text.ts';

/** A page number as a table of contents prints it: arabic or roman. */
const PAGE_NUMBER = String.raw`(\d{1,5}|[ivxlc]{1,10}|[IVXLC]{1,10})`;

/** A contents entry with a leader: a title, five dots or more, a page number ("3.1 Incremental CRC . . . . 4"). */
const LEADER_ENTRY = new RegExp(String.raw`\S(?:\s*\.){5,}\s*${PAGE_NUMBER}\s*$`);

/** A contents entry without a leader: a section number, a title, a page number ("3 CRC tricks and tips 4"). */
const NUMBERED_ENTRY = new RegExp(String.raw`^(?:\d+(?:\.\d+)*\.?|[A-Z](?:\.\d+)+\.?)\s+\S.*\s${PAGE_NUMBER}\s*$`);

/** The heading a table of contents starts under. */
const CONTENTS_TITLE = /^\s*(?:table of )?contents\s*$/i;

/** A longer line is not an entry; and the patterns above, tried at each of its characters, stay cheap. */
const MAX_ENTRY_CHARACTERS = 300;

/** A table of contents has at least this many entries with leaders. */
const MIN_LEADER_ENTRIES = 2;

/** An entry, a blank line, an entry whose arabic number is past the file's pages (a price), or other text. */
type Kind = 'leader' | 'numbered' | 'blank' | 'beyond' | 'other';

/**
 * Each page's lines without its printed tables of contents, which search would otherwise find
 * before the sections they list (as an HTML page's in-page link lists are left out). A table of
 * contents is a run of entries, at least MIN_LEADER_ENTRIES of them with dot leaders, whose arabic
 * page numbers are pages of this file; entries without leaders and a line an entry wraps from are
 * part of the run, and so is a "Contents" heading just before it. The run may cross pages, and
 * ends at an entry whose number is past the file's pages: a price list with dot leaders
 * ("Espresso ....... 3") is kept unless its prices could all be page numbers of its file.
 */
export function withoutContents(pages: readonly (readonly PdfLine[])[]): readonly (readonly PdfLine[])[] {
  const lines = pages.flatMap((page, p) => page.map((line, i) => ({ p, i, line, kind: kindOf(line.text, pages.length) })));
  const drop = new Set<number>();
  for (let start = 0; start < lines.length; ) {
    if (lines[start]!.kind !== 'leader' && lines[start]!.kind !== 'numbered') {
      start++;
      continue;
    }
    let end = start;
    let leaders = 0;
    for (; end < lines.length; end++) {
      const { kind } = lines[end]!;
      const wraps = kind === 'other' && ['leader', 'numbered'].includes(lines[end + 1]?.kind ?? '');
      if (kind === 'beyond' || (kind === 'other' && !wraps)) break;
      if (kind === 'leader') leaders++;
    }
    if (leaders >= MIN_LEADER_ENTRIES) {
      let first = start;
      while (first > 0 && lines[first - 1]!.kind === 'blank') first--;
      if (first > 0 && CONTENTS_TITLE.test(lines[first - 1]!.line.text)) first--;
      for (let k = first; k < end; k++) drop.add(k);
    }
    start = end;
  }
  // Most PDFs print none: their pages as they are, not copied.
  if (drop.size === 0) return pages;
  const kept = pages.map(() => [] as PdfLine[]);
  lines.forEach(({ p, line }, k) => {
    if (!drop.has(k)) kept[p]!.push(line);
  });
  return kept;
}

function kindOf(text: string, pageCount: number): Kind {
  if (text.trim() === '') return 'blank';
  if (text.length > MAX_ENTRY_CHARACTERS) return 'other';
  const kind = LEADER_ENTRY.test(text) ? 'leader' : NUMBERED_ENTRY.test(text) ? 'numbered' : 'other';
  if (kind === 'other') return kind;
  const page = /(\S+)\s*$/.exec(text)![1]!;
  return /^\d+$/.test(page) && Number(page) > pageCount ? 'beyond' : kind;
}
