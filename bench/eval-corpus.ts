/**
 * The retrieval-quality corpus: Debian's Linux man pages (`manpages`, `manpages-dev`), judged by
 * their own authors: each page's NAME line ("getpass - get a password") is a query, and the page
 * it names, indexed without its NAME section, is the one right answer. Fetched with
 * `apt-get download` + `dpkg -x` into `.cache/manpages/` (git-ignored).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { ParsedDocument } from '../services/parse/parsed-document.ts';
import { unpackDebianPackage } from './debian-package.ts';

/** One judged page: the query and the document that answers it. */
export interface ManPage {
  readonly id: string;
  readonly query: string;
  readonly document: ParsedDocument;
}

const PACKAGES = ['manpages', 'manpages-dev'];
const MAN_DIR = 'usr/share/man';

export function loadManPages(cacheDir: string): { pages: ManPage[]; source: string } {
  const dir = path.join(cacheDir, 'manpages');
  const debs = PACKAGES.map((pkg) => unpackDebianPackage(dir, pkg));
  const root = path.join(dir, 'root', MAN_DIR);
  const pages: ManPage[] = [];
  for (const section of readdirSync(root).filter((name) => /^man\d$/.test(name)).sort()) {
    for (const file of readdirSync(path.join(root, section)).sort()) {
      if (!file.endsWith('.gz')) continue;
      const source = gunzipSync(readFileSync(path.join(root, section, file))).toString('utf8');
      // An alias page (".so man3/other.3") has no text of its own.
      if (/^\.so /m.test(source) && source.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('.\\"')).length < 3) continue;
      const page = parseManPage(source);
      if (page === null) continue;
      pages.push({ id: `${section}/${file.replace(/\.gz$/, '')}`, ...page });
    }
  }
  return { pages, source: `Debian ${debs.map((deb) => deb.replace(/\.deb$/, '')).join(', ')}, ${MAN_DIR}/man*/*` };
}

/** The NAME line as the query and the other sections as the document; null when there is no NAME or no text. */
export function parseManPage(roff: string): { query: string; document: ParsedDocument } | null {
  const sections: { heading: string; lines: string[] }[] = [];
  for (const raw of roff.split('\n')) {
    if (/^['.]\\"/.test(raw)) continue; // comment
    if (raw.startsWith('.') || raw.startsWith("'")) {
      const [macro = '', ...rest] = raw.slice(1).trim().split(/\s+/);
      const args = unquote(rest.join(' '));
      if (macro === 'SH') sections.push({ heading: unescape(args).trim(), lines: [] });
      else if (['SS', 'B', 'I', 'SM', 'SB'].includes(macro)) sections.at(-1)?.lines.push(args);
      else if (['BR', 'IR', 'RB', 'RI', 'BI', 'IB'].includes(macro)) sections.at(-1)?.lines.push(alternating(rest.join(' ')));
      else if (['PP', 'P', 'LP', 'TP', 'IP'].includes(macro)) sections.at(-1)?.lines.push('');
      continue;
    }
    sections.at(-1)?.lines.push(raw);
  }
  const name = sections.find((section) => section.heading.toUpperCase() === 'NAME');
  if (!name) return null;
  const query = unescape(name.lines.join(' ')).replace(/\s+/g, ' ').trim();
  const body = sections
    .filter((section) => section !== name)
    .map((section) => ({ headings: [section.heading], text: unescape(section.lines.join('\n')).replace(/\n{3,}/g, '\n\n').trim() }))
    .filter((section) => section.text !== '');
  return query === '' || body.length === 0 ? null : { query, document: { title: null, sections: body } };
}

/** `.BR name (2)` style: arguments joined without spaces. */
function alternating(args: string): string {
  return (args.match(/"[^"]*"|\S+/g) ?? []).map(unquote).join('');
}

function unquote(text: string): string {
  return text.replace(/"/g, '');
}

/** Roff escapes to plain text: fonts dropped, named characters approximated. */
function unescape(text: string): string {
  return text
    .replace(/\\f(\[[^\]]*\]|\(..|.)/g, '')
    .replace(/\\\(aq/g, "'").replace(/\\\(dq/g, '"').replace(/\\\((em|en)/g, '-')
    .replace(/\\[-e]/g, (match) => (match === '\\-' ? '-' : '\\'))
    .replace(/\\&|\\:|\\%|\\c/g, '')
    .replace(/\\\(..|\\\[[^\]]*\]|\\\*(\(..|\[[^\]]*\]|.)/g, ' ')
    .replace(/\\(.)/g, '$1');
}
