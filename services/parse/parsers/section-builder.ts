import type { ParsedDocument, Section } from '../parsed-document.ts';

/** Blocks inside one section are separated by a blank line, which the chunker splits on first. */
const BLOCK_SEPARATOR = '\n\n';

/**
 * Collects a document's blocks into sections as its parser walks it: every heading closes the
 * current section and sets the heading path (h1 > h2 > h3, deeper levels reset), so HTML and
 * Markdown get the same sections from the same structure. Title = the first non-empty h1.
 */
export class SectionBuilder {
  readonly #sections: Section[] = [];
  /** levels[d - 1] holds the current heading of depth d. */
  readonly #levels: (string | undefined)[] = [];
  #headings: string[] = [];
  #blocks: string[] = [];
  #title: string | null = null;

  /** A heading of `depth` (1–6): whitespace inside it collapses to single spaces. */
  heading(depth: number, text: string): void {
    this.#flush();
    const heading = text.replace(/\s+/g, ' ').trim();
    if (depth === 1 && this.#title === null && heading !== '') this.#title = heading;
    this.#levels.length = depth - 1;
    this.#levels[depth - 1] = heading;
    this.#headings = this.#levels.filter((h): h is string => h !== undefined && h !== '');
  }

  /** A block of readable text in the current section; blank blocks are dropped. */
  block(text: string): void {
    if (text.trim() !== '') this.#blocks.push(text);
  }

  finish(): ParsedDocument {
    this.#flush();
    return { title: this.#title, sections: this.#sections };
  }

  #flush(): void {
    const text = this.#blocks.join(BLOCK_SEPARATOR).trim();
    if (text !== '') this.#sections.push({ headings: this.#headings, text });
    this.#blocks = [];
  }
}
