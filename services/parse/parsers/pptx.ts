import { XMLParser } from 'fast-xml-parser';
import { posix } from 'node:path';
import type { ParsedDocument, Section } from '../parsed-document.ts';
import { at, relationshipTargets, textOf, type XmlNode } from './xml-nodes.ts';
import { declaredTitle, isPropertyPart } from './declared-title.ts';
import { zipEntries, zipText } from './zip-entries.ts';

const FORMAT = 'PPTX';
const ARRAYS = new Set(['p:sldId', 'Relationship', 'p:sp', 'a:p', 'a:r', 'a:fld']);
// Whitespace kept (runs carry the spaces between words); htmlEntities decodes numeric references (&#39;).
const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', trimValues: false, htmlEntities: true, isArray: (name) => ARRAYS.has(name) });
const TITLE_PLACEHOLDERS = new Set(['title', 'ctrTitle']);

type Node = XmlNode;

/**
 * PPTX → one section per slide, in presentation order (`ppt/presentation.xml`'s slide list
 * through its relationships), the slide's title placeholder as its heading and the text of
 * every other shape, one paragraph a line. Title: the one its properties declare, else the first
 * slide's title.
 * (ECMA-376 part 1, §13.3.6 presentation part, §19.3.1 slides.)
 */
export function parsePptx(content: Uint8Array): ParsedDocument {
  const entries = zipEntries(content, FORMAT, (name) =>
    name === 'ppt/presentation.xml' || name === 'ppt/_rels/presentation.xml.rels' || /^ppt\/slides\/slide\d+\.xml$/.test(name) || isPropertyPart(name));
  const presentation = xml.parse(zipText(entries, 'ppt/presentation.xml', FORMAT)) as Node;
  const targets = relationshipTargets(xml.parse(zipText(entries, 'ppt/_rels/presentation.xml.rels', FORMAT)));
  const slideIds = (at(presentation, 'p:presentation', 'p:sldIdLst', 'p:sldId') as Node[] | undefined) ?? [];

  const sections: Section[] = [];
  let title: string | null = null;
  slideIds.forEach((slideId, index) => {
    const target = targets.get(String(slideId['r:id']));
    const bytes = target === undefined ? undefined : entries.get(posix.normalize(posix.join('ppt', target)));
    if (bytes === undefined) return;
    const slide = xml.parse(new TextDecoder().decode(bytes)) as Node;
    const shapes = allShapes(at(slide, 'p:sld', 'p:cSld', 'p:spTree'));
    const titleShape = shapes.find((shape) => TITLE_PLACEHOLDERS.has(String(at(shape, 'p:nvSpPr', 'p:nvPr', 'p:ph', 'type'))));
    const heading = titleShape ? paragraphs(titleShape).join(' ').trim() : '';
    if (index === 0 && heading !== '') title = heading;
    const text = shapes.filter((shape) => shape !== titleShape).flatMap(paragraphs).join('\n').trim();
    if (text !== '' || heading !== '') sections.push({ headings: [heading || `Slide ${index + 1}`], text: text || heading });
  });
  return { title: declaredTitle(entries) ?? title, sections };
}


/** Every shape of a shape tree, inside groups too. */
function allShapes(tree: unknown): Node[] {
  if (typeof tree !== 'object' || tree === null) return [];
  const node = tree as Node;
  const groups = node['p:grpSp'];
  const nested = (Array.isArray(groups) ? groups : groups ? [groups] : []).flatMap(allShapes);
  return [...((node['p:sp'] as Node[] | undefined) ?? []), ...nested];
}

/** A shape's paragraphs as text: its runs and fields joined. */
function paragraphs(shape: Node): string[] {
  const list = (at(shape, 'p:txBody', 'a:p') as Node[] | undefined) ?? [];
  return list
    .map((paragraph) => [...((paragraph['a:r'] as Node[] | undefined) ?? []), ...((paragraph['a:fld'] as Node[] | undefined) ?? [])]
      .map((run) => textOf(run['a:t'])).join(''))
    .filter((line) => line.trim() !== '');
}
