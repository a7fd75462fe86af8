/**
 * The benchmark corpus: Debian's `nodejs-doc` package (the Node.js API reference as Markdown),
 * fetched with `apt-get download` and unpacked with `dpkg -x` into `.cache/corpus/` (git-ignored).
 * Never `apt-get install`: on these machines that would replace the installed Node.js. Each API
 * page is cut at its `##` and `###` headings into documents, so the corpus is thousands of real
 * documents of realistic size instead of sixty very large ones.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { unpackDebianPackage } from './debian-package.ts';

/** One benchmark document. */
export interface CorpusDocument {
  readonly id: string;
  readonly title: string;
  readonly text: string;
}

/** The corpus and where it came from. */
export interface Corpus {
  readonly source: string;
  readonly documents: readonly CorpusDocument[];
  readonly bytes: number;
}

const PACKAGE = 'nodejs-doc';
const API_DIR = 'usr/share/doc/nodejs/api';

export function loadCorpus(cacheDir: string): Corpus {
  const dir = path.join(cacheDir, 'corpus');
  const unpacked = path.join(dir, 'root');
  const deb = unpackDebianPackage(dir, PACKAGE);
  const api = path.join(unpacked, API_DIR);
  const documents: CorpusDocument[] = [];
  let bytes = 0;
  for (const name of readdirSync(api).sort()) {
    let markdown: string;
    if (name.endsWith('.md.gz')) markdown = gunzipSync(readFileSync(path.join(api, name))).toString('utf8');
    else if (name.endsWith('.md')) markdown = readFileSync(path.join(api, name), 'utf8');
    else continue;
    const page = name.replace(/\.md(\.gz)?$/, '');
    for (const [index, section] of splitAtHeadings(markdown).entries()) {
      if (section.text.length < 200) continue;
      documents.push({ id: `${page}-${index}`, title: section.title, text: section.text });
      bytes += Buffer.byteLength(section.text);
    }
  }
  return { source: `Debian ${deb.replace(/\.deb$/, '')}, ${API_DIR}/*.md cut at "## " and "### " headings`, documents, bytes };
}

function splitAtHeadings(markdown: string): { title: string; text: string }[] {
  const sections: { title: string; text: string }[] = [];
  for (const part of markdown.split(/^(?=#{2,3} )/m)) {
    const title = /^#{1,3} (.+)$/m.exec(part)?.[1]?.trim() ?? 'untitled';
    sections.push({ title, text: part.trim() });
  }
  return sections;
}
