import { MAX_METADATA_BYTES, type Metadata } from '../../schema/domain.ts';

/** A run of text under a heading path (["Guide", "Install"]); headings [] for text before any heading. */
export interface Section {
  readonly headings: readonly string[];
  readonly text: string;
}

/** The readable content of a document, independent of its original format. */
export interface ParsedDocument {
  readonly title: string | null;
  readonly sections: readonly Section[];
  /** What the document declares about itself (a Markdown file's front matter): see documentMetadata. */
  readonly metadata?: Metadata;
}

/**
 * A document's metadata: the client's fields, then those the document declares about itself in
 * their order, each while the whole stays within MAX_METADATA_BYTES (it is stored with every
 * chunk); a declared field the client also gave, or one that would cross the limit, is left out.
 */
export function documentMetadata(client: Metadata, declared: Metadata = {}): Metadata {
  const merged: Record<string, unknown> = { ...client };
  let bytes = Buffer.byteLength(JSON.stringify(merged));
  for (const [key, value] of Object.entries(declared)) {
    if (Object.hasOwn(merged, key)) continue;
    const size = Buffer.byteLength(JSON.stringify({ [key]: value })) - 1; // "key":value and a comma
    if (bytes + size > MAX_METADATA_BYTES) continue;
    merged[key] = value;
    bytes += size;
  }
  return merged;
}
