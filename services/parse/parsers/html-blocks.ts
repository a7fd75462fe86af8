import type { SectionBuilder } from './section-builder.ts';
import { WORD_CHARACTER } from './words.ts';

/**
 * Elements that end the running text before and after them (a browser's block boxes). Any other
 * element is inline: its text joins its neighbours' (`foo<b>bar</b>` reads "foobar").
 */
const BLOCK_ELEMENTS: ReadonlySet<string> = new Set([
  'address', 'article', 'aside', 'blockquote', 'body', 'caption', 'center', 'dd', 'details', 'dialog',
  'dir', 'div', 'dl', 'dt', 'fieldset', 'figcaption', 'figure', 'footer', 'form', 'h1', 'h2', 'h3',
  'h4', 'h5', 'h6', 'header', 'hgroup', 'hr', 'html', 'legend', 'li', 'main', 'menu', 'ol', 'p',
  'pre', 'section', 'summary', 'table', 'tbody', 'td', 'tfoot', 'th', 'thead', 'tr', 'ul',
]);

export function isBlockElement(name: string): boolean {
  return BLOCK_ELEMENTS.has(name);
}

/** Elements whose blocks are gathered and joined in a way of their own. */
const CONTAINERS = {
  ul: 'list', ol: 'list', menu: 'list', li: 'item', blockquote: 'quote', table: 'table', tr: 'row', td: 'cell', th: 'cell',
} as const satisfies Record<string, string>;
type ContainerKind = (typeof CONTAINERS)[keyof typeof CONTAINERS];

interface Container {
  readonly kind: ContainerKind;
  readonly tag: string;
  readonly parts: string[];
  /** The next item's number in an ordered list, null in any other container. */
  number: number | null;
  /** A row: true while every cell so far is a header cell (`<th>`). A table: true until its first row. */
  headers: boolean;
  /** Whether the text read into it so far has letters or digits inside in-page links, and outside them. */
  linked: boolean;
  unlinked: boolean;
  /**
   * Read as page layout, not as a container (see dissolveLayout): what it had gathered went out as
   * blocks, and what follows inside it goes to the section as if it were not there.
   */
  dissolved: boolean;
}

/**
 * Containers nested deeper than this are read as plain blocks of the deepest one. Each level
 * copies its children's text once when it ends, so unbounded nesting (`<ul><li>` × n) would cost
 * n² (the parse-stage issue's hostile inputs); real pages nest lists and tables a few levels.
 */
const MAX_CONTAINER_DEPTH = 32;

/**
 * The text of a permalink (`<a href="#id">#</a>` after a Node.js heading, `¶` from Sphinx, MkDocs
 * and Texinfo, `§`, a link icon, or nothing but an icon): a marker for the browser, not words.
 */
export const PERMALINK_TEXT = /^[^\p{L}\p{N}]{0,2}$/u;

/** HTML's white space (not U+00A0, which is a character of the text). */
const WHITE_SPACE = /[ \t\n\r\f]+/g;

/**
 * Turns the body's tag and text events into blocks, the way the Markdown parser shapes them:
 * a list is one block of lines (`1. ` before ordered items), a block quote one block of
 * paragraphs, a table one block of rows, each one line of cells joined by ` | ` (a first row of
 * header cells followed by a delimiter row, `--- | ---`, as a Markdown pipe table has, so the
 * chunker can repeat it), a `<pre>` one block of its text as is. Blocks outside any such container
 * go to the section builder.
 */
export class HtmlBlocks {
  readonly #builder: SectionBuilder;
  readonly #stack: Container[] = [];
  /** Finished lines of the running text (ended by `<br>`), and the line being written. */
  #lines: string[] = [];
  #line = '';
  /** Depth of nested `<pre>` elements, and their text so far. */
  #preDepth = 0;
  #pre = '';
  /** Containers opened past MAX_CONTAINER_DEPTH and not yet closed (not on the stack). */
  #overflow = 0;
  /**
   * For each `<a>` open around the text being read, whether it links into the page (`href="#…"`),
   * and for such a link, where its text starts in the running text (its block and line, and the
   * place in the line), so that a permalink's mark can be taken back out.
   */
  readonly #links: { readonly inPage: boolean; readonly block: number; readonly lines: number; readonly at: number }[] = [];
  /** How many times the running text has ended: a link whose block ended inside it is not taken back. */
  #blocks = 0;
  /** Whether the running text outside containers has words inside in-page links, and outside them. */
  readonly #running = { linked: false, unlinked: false };

  constructor(builder: SectionBuilder) {
    this.#builder = builder;
  }

  /** True outside lists, quotes and tables (but those read as layout): only there does a heading start a section. */
  atTopLevel(): boolean {
    return this.#live() === undefined && this.#preDepth === 0;
  }

  /** True inside a table's cell that is read as a table. */
  inTableCell(): boolean {
    return this.#stack.some((container) => !container.dissolved && container.kind === 'cell');
  }

  /**
   * Reads every container now open as page layout: a table that holds a heading in a cell lays out
   * the page (libxslt's and libxml2's reference, e-mails, sites of the 1990s put the whole body in
   * one), where a table of data never does. What each had gathered goes out as blocks, in document
   * order (the rows read so far, the cells of this row, the blocks of this cell); what follows
   * inside them reads as if they were not there, so the heading starts its section. Their tags
   * still close them.
   */
  dissolveLayout(): void {
    this.endBlock();
    const gathered: string[] = [];
    for (const container of this.#stack) {
      if (container.dissolved) continue;
      container.dissolved = true;
      const parts = container.parts.splice(0);
      if (container.kind === 'table' || container.kind === 'list') gathered.push(parts.join('\n'));
      else if (container.kind === 'row') gathered.push(parts.join(' | '));
      else for (const part of parts) gathered.push(part);
    }
    // With none of them live, each block goes to the section.
    for (const block of gathered) this.#add(block);
  }

  /** The innermost container read as one, if any: dissolved ones are always below every other. */
  #live(): Container | undefined {
    const top = this.#stack[this.#stack.length - 1];
    return top?.dissolved ? undefined : top;
  }

  open(name: string, attributes: Readonly<Record<string, string>>): void {
    if (this.#preDepth > 0) {
      if (name === 'pre') this.#preDepth += 1;
      else if (name === 'br') this.#pre += '\n';
      return;
    }
    if (name === 'br') {
      this.#lines.push(this.#line);
      this.#line = '';
    } else if (name === 'a') {
      this.#links.push({ inPage: attributes.href?.startsWith('#') === true, block: this.#blocks, lines: this.#lines.length, at: this.#line.length });
    } else if (name === 'img') {
      this.#note(attributes.alt ?? '');
      this.#line += attributes.alt ?? '';
    } else if (name === 'pre') {
      this.endBlock();
      this.#preDepth = 1;
    } else if (Object.hasOwn(CONTAINERS, name)) {
      this.endBlock();
      if (this.#stack.length >= MAX_CONTAINER_DEPTH) {
        this.#overflow += 1;
        return;
      }
      const kind = CONTAINERS[name as keyof typeof CONTAINERS];
      const start = Number.parseInt(attributes.start ?? '1', 10);
      this.#stack.push({
        kind, tag: name, parts: [], number: name === 'ol' ? (Number.isFinite(start) ? start : 1) : null,
        headers: true, linked: false, unlinked: false, dissolved: false,
      });
    } else if (BLOCK_ELEMENTS.has(name)) {
      this.endBlock();
    }
  }

  text(text: string): void {
    this.#note(text);
    if (this.#preDepth > 0) this.#pre += text;
    else this.#line += text;
  }

  /** Records whether the innermost container's text (or the running text outside any) has words in in-page links or out of them. */
  #note(text: string): void {
    const into = this.#live() ?? this.#running;
    const inPageLink = this.#links.length > 0 && this.#links[this.#links.length - 1]!.inPage && this.#preDepth === 0;
    // Known already (most text nodes after a block's first): no need to look for a word.
    if (inPageLink ? into.linked : into.unlinked) return;
    if (!WORD_CHARACTER.test(text)) return;
    if (inPageLink) into.linked = true;
    else into.unlinked = true;
  }

  close(name: string): void {
    if (this.#preDepth > 0) {
      if (name === 'pre' && --this.#preDepth === 0) {
        // The HTML parser drops a newline right after <pre>; the last line's end is not content.
        this.#add(this.#pre.replace(/^\r?\n/, '').trimEnd());
        this.#pre = '';
      }
      return;
    }
    // Closes come balanced (htmlparser2 closes what was left open), so while containers past the
    // depth cap are open, a container's close is theirs.
    if (this.#overflow > 0 && Object.hasOwn(CONTAINERS, name)) {
      this.#overflow -= 1;
      this.endBlock();
      return;
    }
    if (name === 'a') this.#endLink();
    const top = this.#stack[this.#stack.length - 1];
    if (top !== undefined && top.tag === name) this.#finish(top);
    else if (BLOCK_ELEMENTS.has(name)) this.endBlock();
  }

  /**
   * Ends a link. An in-page link whose whole text is a mark (Sphinx's and Texinfo's `¶` after an
   * API entry's signature, a `#` or an arrow back to the top) leaves the text as it was before it,
   * as a heading's permalink does its heading.
   */
  #endLink(): void {
    const link = this.#links.pop();
    if (link === undefined || !link.inPage || link.block !== this.#blocks || link.lines !== this.#lines.length) return;
    const text = this.#line.slice(link.at).trim();
    if (text !== '' && PERMALINK_TEXT.test(text)) this.#line = this.#line.slice(0, link.at);
  }

  /**
   * Ends the running text: its lines, white space collapsed, become one block. Outside containers,
   * a block whose every word links into the page is an entry of a table of contents written as
   * paragraphs (Word's, through mammoth: `<p><a href="#_Toc1">Mooring 2</a></p>`), left out as a
   * contents list is.
   */
  endBlock(): void {
    this.#blocks += 1;
    const contentsEntry = this.#live() === undefined && this.#running.linked && !this.#running.unlinked;
    this.#running.linked = false;
    this.#running.unlinked = false;
    if (this.#lines.length === 0 && this.#line === '') return;
    this.#lines.push(this.#line);
    const text = this.#lines.map((line) => line.replace(WHITE_SPACE, ' ').trim()).join('\n').trim();
    this.#lines = [];
    this.#line = '';
    if (!contentsEntry) this.#add(text);
  }

  #finish(container: Container): void {
    this.endBlock();
    this.#stack.pop();
    // A dissolved container's gathered blocks went out when it was dissolved, and all since then.
    if (container.dissolved) return;
    const parent = this.#live();
    // A list whose every word links into the page is its table of contents: the headings again,
    // which sections already carry, in one chunk that outranked the sections it lists (a search
    // for a table's row found the contents naming its section first). Links to other pages are
    // kept: a list of them is as often content (the functions a feature covers) as navigation.
    // Dropped, it leaves its parent nothing to count.
    if (container.kind === 'list' && container.linked && !container.unlinked) return;
    if (parent !== undefined) {
      parent.linked ||= container.linked;
      parent.unlinked ||= container.unlinked;
    }
    const { parts } = container;
    switch (container.kind) {
      case 'item': {
        const line = parts.join('\n');
        if (parent?.kind !== 'list') return this.#add(line);
        const number = parent.number;
        if (number !== null) parent.number = number + 1;
        if (line !== '') parent.parts.push(number !== null ? `${number}. ${line}` : line);
        return;
      }
      case 'list':
        return this.#add(parts.join('\n'));
      case 'quote':
        return this.#add(parts.join('\n\n'));
      case 'cell': {
        // A cell is one value of its row, whatever blocks it holds; empty cells keep their column.
        const value = parts.join(' ').replace(WHITE_SPACE, ' ').trim();
        if (parent?.kind !== 'row') return this.#add(value);
        parent.parts.push(value);
        if (container.tag !== 'th') parent.headers = false;
        return;
      }
      case 'row': {
        if (!parts.some((cell) => cell !== '')) return;
        this.#add(parts.join(' | '));
        if (parent?.kind !== 'table') return;
        // Only a table's first row can be its header; two columns at least, or the delimiter row
        // would read as a Markdown rule.
        if (parent.headers && container.headers && parts.length > 1) this.#add(parts.map(() => '---').join(' | '));
        parent.headers = false;
        return;
      }
      case 'table':
        return this.#add(parts.join('\n'));
    }
  }

  /** A finished block goes to the innermost container, or to the current section. */
  #add(text: string): void {
    if (text.trim() === '') return;
    const top = this.#live();
    if (top === undefined) this.#builder.block(text);
    else top.parts.push(text);
  }
}
