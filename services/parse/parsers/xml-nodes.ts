/** Walking the objects fast-xml-parser returns (non-preserveOrder mode), shared by the PPTX and XLSX parsers. */

export type XmlNode = Record<string, unknown>;

/** The value at `path` below `node`, or undefined where any step is missing. */
export function at(node: unknown, ...path: string[]): unknown {
  let current = node;
  for (const key of path) current = typeof current === 'object' && current !== null ? (current as XmlNode)[key] : undefined;
  return current;
}

/** An element's text, whether it came back as a string, a number or `{ '#text': … }` (element with attributes). */
export function textOf(value: unknown): string {
  if (typeof value === 'string' || typeof value === 'number') return String(value);
  if (typeof value === 'object' && value !== null && '#text' in value) return String((value as XmlNode)['#text']);
  return '';
}

/** An OPC relationships part (`_rels/*.rels`, parsed with `Relationship` as an array): each Id's target. */
export function relationshipTargets(rels: unknown): Map<string, string> {
  const targets = new Map<string, string>();
  for (const rel of (at(rels, 'Relationships', 'Relationship') as XmlNode[] | undefined) ?? []) targets.set(String(rel.Id), String(rel.Target));
  return targets;
}
