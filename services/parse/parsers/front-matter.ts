/**
 * YAML front matter at the top of a Markdown file (Jekyll, Hugo, Docusaurus, Obsidian):
 *
 *     ---
 *     title: Caring for ferns
 *     tags: [plants]
 *     ---
 *
 * Left to CommonMark, the block reads as a thematic break and a setext heading made of its lines,
 * so its fields were lost and the text after it sat under a heading "title: Caring for ferns
 * tags: [plants]". A block that opens the file with `---`, closes with `---` or `...` within
 * MAX_FRONT_MATTER_BYTES and parses (the `yaml` library, its alias limit on) as a mapping is front
 * matter: its fields are returned and the Markdown after it is the body. Anything else is left as
 * Markdown, so no text is lost to a block that only looks like front matter.
 */
import { parse } from 'yaml';

/** Longest front matter read, in bytes (real ones are a few hundred). */
export const MAX_FRONT_MATTER_BYTES = 64 * 1024;

const OPENING = /^\uFEFF?---[ \t]*\r?\n/;
const CLOSING = /^(?:---|\.\.\.)[ \t]*(?:\r?\n|$)/m;

export interface FrontMatter {
  /** The mapping's fields as JSON values (YAML's `.inf` and the like become null). */
  readonly fields: Readonly<Record<string, unknown>>;
  /** The Markdown after the closing line. */
  readonly body: string;
}

/** The file's front matter and the Markdown after it, or null when the file has none. */
export function splitFrontMatter(markdown: string): FrontMatter | null {
  const opening = OPENING.exec(markdown);
  if (opening === null) return null;
  const rest = markdown.slice(opening[0].length, opening[0].length + MAX_FRONT_MATTER_BYTES + 8);
  const closing = CLOSING.exec(rest);
  if (closing === null || Buffer.byteLength(rest.slice(0, closing.index)) > MAX_FRONT_MATTER_BYTES) return null;
  let value: unknown;
  try {
    value = parse(rest.slice(0, closing.index), { maxAliasCount: 100, prettyErrors: false });
  } catch {
    return null; // not YAML (a Markdown file that starts with a rule and a setext heading)
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
  return {
    fields: JSON.parse(JSON.stringify(value)) as Record<string, unknown>,
    body: markdown.slice(opening[0].length + closing.index + closing[0].length),
  };
}
