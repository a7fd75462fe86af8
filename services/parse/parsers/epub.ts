import { XMLParser } from 'fast-xml-parser';
import { posix } from 'node:path';
import { PermanentError } from '../../../messaging/errors.ts';
import type { ParsedDocument, Section } from '../parsed-document.ts';
import { parseHtml } from './html.ts';
import { zipEntries, zipText } from './zip-entries.ts';

const FORMAT = 'EPUB';
const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', removeNSPrefix: true, htmlEntities: true, isArray: (name) => ['item', 'itemref', 'rootfile'].includes(name) });

/**
 * EPUB → its spine's XHTML documents in reading order, each through the HTML parser, so
 * chapter and section headings become heading paths. Title: the package's dc:title.
 * (EPUB 3 §3 Open Container Format: META-INF/container.xml names the package document.)
 */
export function parseEpub(content: Uint8Array): ParsedDocument {
  const entries = zipEntries(content, FORMAT, (name) => name === 'META-INF/container.xml' || /\.(opf|x?html?)$/i.test(name));
  const container = xml.parse(zipText(entries, 'META-INF/container.xml', FORMAT));
  const packagePath: unknown = container?.container?.rootfiles?.rootfile?.[0]?.['full-path'];
  if (typeof packagePath !== 'string') throw new PermanentError('cannot read the EPUB: META-INF/container.xml names no package document');
  const opf = xml.parse(zipText(entries, packagePath, FORMAT))?.package;
  const base = posix.dirname(packagePath);
  const hrefs = new Map<string, string>();
  for (const item of opf?.manifest?.item ?? []) hrefs.set(String(item.id), String(item.href));

  const sections: Section[] = [];
  for (const ref of opf?.spine?.itemref ?? []) {
    const href = hrefs.get(String(ref.idref));
    if (href === undefined) continue;
    const path = posix.normalize(posix.join(base, decodeURIComponent(href.split('#')[0]!)));
    const chapter = entries.get(path);
    // A loop, not push(...): a chapter can hold more sections than a call takes arguments.
    if (chapter !== undefined) for (const section of parseHtml(new TextDecoder().decode(chapter)).sections) sections.push(section);
  }
  return { title: textOf(opf?.metadata?.title), sections };
}

/** dc:title may be a string, an element with attributes (`#text`) or several of either. */
function textOf(value: unknown): string | null {
  const first = Array.isArray(value) ? value[0] : value;
  const text = typeof first === 'object' && first !== null ? (first as Record<string, unknown>)['#text'] : first;
  return typeof text === 'string' && text.trim() !== '' ? text.trim() : null;
}
