import { XMLParser } from 'fast-xml-parser';
import type { ParsedDocument } from '../parsed-document.ts';
import { SectionBuilder } from './section-builder.ts';
import { declaredTitle, isPropertyPart } from './declared-title.ts';
import { zipEntries, zipText } from './zip-entries.ts';

const FORMAT = 'ODT';
/** preserveOrder keeps headings and paragraphs in document order. */
const xml = new XMLParser({ preserveOrder: true, ignoreAttributes: false, attributeNamePrefix: '', trimValues: false, htmlEntities: true });

type XmlNode = Record<string, unknown> & { ':@'?: Record<string, string> };

/**
 * ODT (OpenDocument text) → one section per heading: `text:h` elements, at their
 * `text:outline-level`, build the heading path; paragraphs, list items and table cells under
 * them become its text. Title: the one `meta.xml` declares, else the first level-1 heading.
 * (OpenDocument 1.3 part 3, §5.)
 */
export function parseOdt(content: Uint8Array): ParsedDocument {
  const entries = zipEntries(content, FORMAT, (name) => name === 'content.xml' || isPropertyPart(name));
  const tree = xml.parse(zipText(entries, 'content.xml', FORMAT)) as XmlNode[];
  const builder = new SectionBuilder();
  const visit = (nodes: readonly XmlNode[]) => {
    for (const node of nodes) {
      const name = elementName(node);
      if (name === 'text:h') {
        builder.heading(Math.max(1, Number(node[':@']?.['text:outline-level'] ?? 1) || 1), inlineText(node));
      } else if (name === 'text:p') {
        builder.block(inlineText(node).trim());
      } else if (name !== undefined && !name.startsWith('office:annotation')) {
        visit(node[name] as XmlNode[]);
      }
    }
  };
  visit(tree);
  const built = builder.finish();
  return { ...built, title: declaredTitle(entries) ?? built.title };
}

function elementName(node: XmlNode): string | undefined {
  return Object.keys(node).find((key) => key !== ':@' && key !== '#text');
}

/** A paragraph's text: spans and links by their text, `text:s` / `text:tab` / `text:line-break` as whitespace. */
function inlineText(node: XmlNode): string {
  if ('#text' in node) return String(node['#text']);
  const name = elementName(node);
  if (name === undefined) return '';
  if (name === 'text:s') return ' '.repeat(Number(node[':@']?.['text:c'] ?? 1) || 1);
  if (name === 'text:tab') return '\t';
  if (name === 'text:line-break') return '\n';
  if (name === 'text:note' || name === 'office:annotation') return '';
  return (node[name] as XmlNode[]).map(inlineText).join('');
}
