/**
 * The benchmark corpora: Debian's `nodejs-doc` package (the Node.js API reference as Markdown and
 * as HTML), fetched with `apt-get download` and unpacked with `dpkg -x` into `.cache/corpus/`
 * (git-ignored). Never `apt-get install`: on these machines that would replace the installed
 * Node.js. The sections corpus cuts each Markdown page at its `##` and `###` headings, so it is
 * thousands of real documents of realistic size; the pages corpus is the HTML pages as they are
 * (what users upload), whose parse cost the sections corpus hides.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { unpackDebianPackage } from './debian-package.ts';
import { lexicalPhrases } from '../stores/sqlite/lexical-search.ts';

/** One benchmark document. */
export interface CorpusDocument {
  readonly id: string;
  readonly title: string;
  readonly text: string;
  readonly mimeType: 'text/markdown' | 'text/html';
}

/** The corpus and where it came from. */
export interface Corpus {
  readonly source: string;
  readonly documents: readonly CorpusDocument[];
  readonly bytes: number;
}

const PACKAGE = 'nodejs-doc';
const API_DIR = 'usr/share/doc/nodejs/api';

/** The unpacked package's API directory and the .deb's name, downloading and unpacking on first use. */
function nodejsDoc(cacheDir: string): { api: string; deb: string } {
  const dir = path.join(cacheDir, 'corpus');
  const unpacked = path.join(dir, 'root');
  const deb = unpackDebianPackage(dir, PACKAGE);
  return { api: path.join(unpacked, API_DIR), deb: deb.replace(/\.deb$/, '') };
}

/** The Markdown pages cut at `##` and `###` headings into documents of a few KB. */
export function loadCorpus(cacheDir: string): Corpus {
  const { api, deb } = nodejsDoc(cacheDir);
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
      documents.push({ id: `${page}-${index}`, title: section.title, text: section.text, mimeType: 'text/markdown' });
      bytes += Buffer.byteLength(section.text);
    }
  }
  return { source: `Debian ${deb}, ${API_DIR}/*.md cut at "## " and "### " headings`, documents, bytes };
}

/**
 * The corpus's titles as search queries, without those holding no word (`-`, `--`): such a query
 * finds nothing by design, and the bench counts a search that finds nothing as failed.
 */
export function queryTitles(corpus: Corpus): string[] {
  return corpus.documents.map((doc) => doc.title).filter((title) => lexicalPhrases(title).length > 0);
}

/** The whole Markdown pages, for the parser's own speed (all.md, every page in one, left out). */
export function loadMarkdownPages(cacheDir: string): Corpus {
  return pages(cacheDir, '.md.gz', 'text/markdown');
}

/**
 * The HTML pages as they are, head, navigation and all (all.html, every page in one, left out):
 * 64 pages, 6.9 MB. The title is the page's `<title>`, as a client that knows it would send it.
 */
export function loadHtmlPages(cacheDir: string): Corpus {
  return pages(cacheDir, '.html', 'text/html');
}

function pages(cacheDir: string, extension: string, mimeType: CorpusDocument['mimeType']): Corpus {
  const { api, deb } = nodejsDoc(cacheDir);
  const documents: CorpusDocument[] = [];
  let bytes = 0;
  for (const name of readdirSync(api).sort()) {
    if (!name.endsWith(extension) || name.startsWith('all.')) continue;
    const content = readFileSync(path.join(api, name));
    const text = (extension.endsWith('.gz') ? gunzipSync(content) : content).toString('utf8');
    const page = name.slice(0, -extension.length);
    const title = /<title>([^<]*)<\/title>/.exec(text)?.[1]?.trim() ?? page;
    documents.push({ id: page, title, text, mimeType });
    bytes += Buffer.byteLength(text);
  }
  return { source: `Debian ${deb}, ${API_DIR}/*${extension} whole pages, all.* left out`, documents, bytes };
}

function splitAtHeadings(markdown: string): { title: string; text: string }[] {
  const sections: { title: string; text: string }[] = [];
  for (const part of markdown.split(/^(?=#{2,3} )/m)) {
    const title = /^#{1,3} (.+)$/m.exec(part)?.[1]?.trim() ?? 'untitled';
    sections.push({ title, text: part.trim() });
  }
  return sections;
}
