import type { Metadata } from '../../schema/domain.ts';

/** A run of text under a heading path (["Guide", "Install"]); headings [] for text before any heading. */
export interface Section {
  readonly headings: readonly string[];
  readonly text: string;
}

/** The readable content of a document, independent of its original format. */
export interface ParsedDocument {
  readonly title: string | null;
  readonly sections: readonly Section[];
  /** What the document says about itself (a Markdown file's front matter): metadata beneath the client's. */
  readonly metadata?: Metadata;
}
