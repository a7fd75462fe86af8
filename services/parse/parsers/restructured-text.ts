import type { ParsedDocument } from '../parsed-document.ts';
import { Substitutions } from './restructured-text-substitutions.ts';
import { SectionBuilder } from './section-builder.ts';
import { WORD_CHARACTER } from './words.ts';

/**
 * reStructuredText (Python's and Sphinx's documentation, CMake's, the Linux kernel's) → one
 * Section per title. No parser on npm reads real Sphinx sources (docs/parsing.md): one that
 * converts to HTML failed on nine in ten of CMake's help files (Sphinx's directives and roles are
 * not docutils') and took 13 s on one of awscli's examples. So this reads what a chunk needs, line
 * by line and linear in the input:
 *
 * - titles: a line underlined, or over- and underlined, by one punctuation character repeated at
 *   least as long as it; each adornment style is a level in the order styles first appear, as
 *   docutils assigns them; the first top-level title is the document's title;
 * - explicit markup (`.. `): comments, hyperlink targets and substitution definitions are
 *   dropped, a footnote keeps its text; a directive keeps its content, and its argument when that
 *   is text (`.. function:: open(file)`), not a language, a path or a list of documents; its options
 *   are dropped, and so are directives with nothing to read (`toctree`, `index`, `raw`, `image` …);
 * - inline markup reads as its text: roles (`` :ref:`Install <install>` `` → "Install"),
 *   hyperlink references, inline literals, emphasis; a paragraph's `::` (a literal block follows)
 *   reads as `:`, and table borders and transitions are dropped;
 * - substitution references read as their definitions' text (restructured-text-substitutions.ts).
 */
export function parseRestructuredText(source: string): ParsedDocument {
  const lines = source.replace(/\r\n?/g, '\n').split('\n');
  const builder = new SectionBuilder();
  const substitutions = Substitutions.read(lines);
  const read = (text: string) => inlineText(substitutions.expand(text));
  const styles: string[] = [];
  let paragraph: string[] = [];
  const flush = () => {
    if (paragraph.length > 0) builder.block(read(paragraph.join('\n')));
    paragraph = [];
  };
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    if (line.trim() === '') {
      flush();
      i += 1;
      continue;
    }
    const title = paragraph.length === 0 ? titleAt(lines, i) : null;
    if (title !== null) {
      if (!styles.includes(title.style)) styles.push(title.style);
      builder.heading(styles.indexOf(title.style) + 1, read(title.text));
      i = title.next;
      continue;
    }
    const explicit = /^(\s*)\.\.(?:\s|$)/.exec(line);
    if (explicit !== null) {
      flush();
      i = explicitMarkup(lines, i, explicit[1]!.length, (text) => builder.block(read(text)));
      continue;
    }
    if (isAdornment(line) || TABLE_BORDER.test(line)) {
      flush(); // a transition, or a table's border
      i += 1;
      continue;
    }
    paragraph.push(line.replace(FIELD_MARKER, '$1$2:'));
    i += 1;
  }
  flush();
  return builder.finish();
}

/** A line of one punctuation character repeated (three at least): a title's adornment, or a transition. */
const ADORNMENT = /^([!-/:-@[-`{-~])\1{2,}\s*$/;
const isAdornment = (line: string) => ADORNMENT.test(line);
/** A grid table's `+---+---+` or a simple table's `====  ====`. */
const TABLE_BORDER = /^\s*(?:\+[-=+]*\+|=+(?:\s+=+)+)\s*$/;
/** A field list's `:name: value` (a directive's options are dropped before this): read as `name: value`. */
const FIELD_MARKER = /^(\s*):([^:`\s][^:`]*):(?=\s|$)/;

/** The title starting at lines[i], its adornment style and the line after it, or null. */
function titleAt(lines: readonly string[], i: number): { text: string; style: string; next: number } | null {
  const line = lines[i]!;
  const below = lines[i + 1];
  if (isAdornment(line)) {
    // An overline: the title (which may be inset) and an underline of the same character and length.
    const text = below?.trim() ?? '';
    const under = lines[i + 2];
    if (text === '' || under === undefined || under.trimEnd() !== line.trimEnd() || text.length > line.trimEnd().length) return null;
    return { text, style: `${line[0]}${line[0]}`, next: i + 3 };
  }
  if (below === undefined || /^\s/.test(line) || !isAdornment(below)) return null;
  const text = line.trim();
  if (below.trimEnd().length < [...text].length) return null;
  return { text, style: below[0]!, next: i + 2 };
}

/** Directives with nothing to read: lists of documents or index entries, raw output, images, settings. */
const UNREAD_DIRECTIVES = new Set([
  'toctree', 'contents', 'index', 'raw', 'meta', 'include', 'literalinclude', 'highlight', 'sectnum', 'image',
  'tabularcolumns', 'role', 'default-role', 'module', 'currentmodule', 'default-domain', 'title', 'target-notes', 'header', 'footer',
  'autosummary', 'automodule', 'autoclass', 'autofunction', 'automethod', 'autoattribute', 'autodata', 'autoexception', 'cmake-module',
]);
/** Directives whose argument is a version: read as Sphinx shows them. */
const VERSION_NOTES: Readonly<Record<string, string>> = {
  versionadded: 'New in version', versionchanged: 'Changed in version', deprecated: 'Deprecated since version', versionremoved: 'Removed in version',
};
/** Directives whose argument is a language, a path or a build condition, not text: their content alone is read. */
const ARGUMENT_UNREAD = new Set(['code-block', 'code', 'sourcecode', 'figure', 'csv-table', 'list-table', 'table', 'parsed-literal', 'math', 'only', 'ifconfig']);

/**
 * The explicit markup block at lines[i] (indented `indent`): hands `emit` the text it holds and
 * returns the line after it. The block is its first line and every following line that is blank
 * or indented deeper; a directive's content is left to the caller's loop, which reads it as text.
 */
function explicitMarkup(lines: readonly string[], i: number, indent: number, emit: (text: string) => void): number {
  const first = lines[i]!.slice(indent + 2).trim();
  const inBlock = (line: string) => line.trim() === '' || /^\s*/.exec(line)![0].length > indent;
  let end = i + 1;
  while (end < lines.length && inBlock(lines[end]!)) end += 1;
  const directive = /^([\w.+:-]+?)::(?:\s+(.*))?$/.exec(first);
  if (directive === null || first.startsWith('|') || first.startsWith('_')) {
    // A footnote or citation keeps its text; a comment, a hyperlink target or a substitution
    // definition has none to read.
    const footnote = /^\[[^\]\s]+\]\s+(.*)$/.exec(first);
    if (footnote !== null) emit([footnote[1]!, ...lines.slice(i + 1, end).map((line) => line.trim())].join('\n'));
    return end;
  }
  const name = directive[1]!.replace(/^\w+:/, ''); // a Sphinx domain's prefix (py:function)
  if (UNREAD_DIRECTIVES.has(name)) return end;
  const argument = directive[2]?.trim() ?? '';
  const versioned = VERSION_NOTES[name];
  if (versioned !== undefined) emit(`${versioned} ${argument}`.trim());
  else if (!ARGUMENT_UNREAD.has(name) && WORD_CHARACTER.test(argument)) emit(argument);
  // The options: the lines right after the directive's that are fields (`:linenos:`, `:alt: …`).
  let next = i + 1;
  while (next < end && /^\s+:[^:\s][^:]*:(?:\s|$)/.test(lines[next]!)) next += 1;
  return next;
}

/** Inline markup read as its text. */
function inlineText(text: string): string {
  return text
    // A role: its explicit title, else its target (without Sphinx's ~ and ! marks).
    .replace(/:[\w.+-]+(?::[\w.+-]+)*:`([^`]*)`/g, (_, content: string) => {
      const titled = /^(.*?)\s*<[^<>]*>$/s.exec(content);
      return titled !== null && titled[1] !== '' ? titled[1]! : content.replace(/^[~!]/, '');
    })
    .replace(/``([^`]+)``/g, '$1')
    // A hyperlink reference with its target embedded, a named one, or interpreted text.
    .replace(/`([^`<]+?)\s*<[^`>]*>`_{0,2}/g, '$1')
    .replace(/`([^`]+)`_{0,2}/g, '$1')
    .replace(/\*\*(\S(?:[^*]*\S)?)\*\*/g, '$1')
    .replace(/(^|[\s('"])\*(\S(?:[^*]*\S)?)\*(?=$|[\s)'".,;:!?])/gm, '$1$2')
    // A paragraph that introduces a literal block: "Example::" reads "Example:", a lone "::" nothing.
    .replace(/(\S)::$/, '$1:')
    .replace(/\s*::$/, '');
}
