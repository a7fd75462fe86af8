import { XMLParser } from 'fast-xml-parser';
import { MAX_TITLE_CHARACTERS } from '../../../schema/domain.ts';
import { collapseWhiteSpace } from './words.ts';
import { at, textOf } from './xml-nodes.ts';

/** Where a package keeps its properties: Office Open XML (DOCX, PPTX, XLSX), then OpenDocument (ODT). */
const PROPERTY_PARTS = ['docProps/core.xml', 'meta.xml'] as const;

const xml = new XMLParser({ removeNSPrefix: true, htmlEntities: true });

/** Whether `name` is a part declaredTitle reads: for the filter that picks a package's entries. */
export function isPropertyPart(name: string): boolean {
  return (PROPERTY_PARTS as readonly string[]).includes(name);
}

/**
 * The title a package declares in its properties (Dublin Core `dc:title`, which Word, Excel,
 * PowerPoint and LibreOffice write from File › Properties), white space collapsed; null when it
 * declares none, or one past MAX_TITLE_CHARACTERS. Properties are an aid: a part that cannot be
 * read is no title, never a failed document. (ECMA-376 part 2 §11; OpenDocument 1.3 part 3 §4.)
 */
export function declaredTitle(entries: ReadonlyMap<string, Uint8Array>): string | null {
  for (const part of PROPERTY_PARTS) {
    const bytes = entries.get(part);
    if (bytes === undefined) continue;
    let properties: unknown;
    try {
      properties = xml.parse(new TextDecoder().decode(bytes));
    } catch {
      continue;
    }
    const title = collapseWhiteSpace(textOf(at(properties, 'coreProperties', 'title') ?? at(properties, 'document-meta', 'meta', 'title')));
    if (title !== '' && title.length <= MAX_TITLE_CHARACTERS) return title;
  }
  return null;
}
