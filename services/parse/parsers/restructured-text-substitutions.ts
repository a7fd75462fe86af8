/**
 * reStructuredText's substitutions: a definition (`.. |name| replace:: text`, usually at the end
 * of a page or in a shared file) names text that each reference (`|name|`, `|name|_`) stands for.
 * CMake's help pages, for one, write their shared sentences this way. A reference reads as its
 * definition's text; one with no definition in the document (Sphinx's `|release|`, or one defined
 * in an included file, which is not read) reads as its name.
 *
 * Read: `replace` (its text, over several lines), `unicode` (character codes, with text and a
 * trailing `..` comment; a code that is no character of text, a control character or half a
 * surrogate pair, stays as written), `image` (its `:alt:` text, else nothing). Other directives (`date`, `raw`
 * …) define nothing readable. Expansion is bounded: all of a document's expansions together add at
 * most as many characters as the document has, so a long definition referenced a million times
 * cannot multiply the text (past that, references read as their names).
 */

/** `.. |name| directive:: argument` (the name holds no `|`; its ends are not white space). */
const DEFINITION = /^(\s*)\.\.\s+\|([^|\s](?:[^|]*[^|\s])?)\|\s+([\w:-]+)::(?:\s+(.*))?$/;
/**
 * An inline literal (left as it is) or a reference: `|name|` on one line, optionally a link (`_`,
 * `__`), between word boundaries as docutils draws them; `a || b` (a table's "or") is none.
 */
const LITERAL_OR_REFERENCE = /``[^`]+``|(?<=^|[\s'"([{<\-/:])\|([^|\s](?:[^|\n]*?[^|\s])?)\|(?:__?)?(?=$|[\s'")\]}>\-/:.,;!?\\])/gm;
/** A character code of the unicode directive: `U+00A9`, `0xA9`, `x`, `\x`, `\u`, `&#xA9;`, or decimal. */
const CHARACTER_CODE = /^(?:(?:0x|x|\\x|U\+|u|\\u)([0-9a-f]+)|&#x([0-9a-f]+);|(\d+))$/i;

export class Substitutions {
  private readonly texts = new Map<string, string>();
  private readonly folded = new Map<string, string>();
  private budget: number;

  private constructor(budget: number) {
    this.budget = budget;
  }

  /** The definitions among `lines`, wherever they are in the document. */
  static read(lines: readonly string[]): Substitutions {
    const substitutions = new Substitutions(lines.reduce((sum, line) => sum + line.length + 1, 0));
    for (let i = 0; i < lines.length; i++) {
      const definition = DEFINITION.exec(lines[i]!);
      if (definition === null) continue;
      const [, indent, name, directive, argument] = definition;
      // The directive's block: the lines after it indented deeper, up to a blank line.
      const block: string[] = [];
      while (i + 1 < lines.length && lines[i + 1]!.trim() !== '' && /^\s*/.exec(lines[i + 1]!)![0].length > indent!.length) block.push(lines[++i]!.trim());
      substitutions.define(name!, textOf(directive!, argument?.trim() ?? '', block));
    }
    return substitutions;
  }

  /** `text` with each reference replaced by its definition's text (inline literals left as they are). */
  expand(text: string): string {
    if (!text.includes('|')) return text;
    return text.replace(LITERAL_OR_REFERENCE, (match, name: string | undefined) => {
      if (name === undefined) return match;
      const normalized = normalize(name);
      const definition = this.texts.get(normalized) ?? this.folded.get(normalized.toLowerCase());
      if (definition === undefined || definition.length > this.budget) return name;
      this.budget -= definition.length;
      return definition;
    });
  }

  private define(name: string, text: string): void {
    const normalized = normalize(name);
    this.texts.set(normalized, text);
    // docutils matches a reference's name exactly first, then ignoring case.
    if (!this.folded.has(normalized.toLowerCase())) this.folded.set(normalized.toLowerCase(), text);
  }
}

const normalize = (name: string) => name.replace(/\s+/g, ' ');

/** The text a definition's directive stands for. */
function textOf(directive: string, argument: string, block: readonly string[]): string {
  switch (directive) {
    case 'replace':
      return [argument, ...block].filter((line) => line !== '').join(' ');
    case 'unicode':
      return unicodeText([argument, ...block].join(' '));
    case 'image':
      return /^:alt:\s*(.*)$/.exec(block.find((line) => line.startsWith(':alt:')) ?? '')?.[1] ?? '';
    default:
      return '';
  }
}

/** The unicode directive's argument: codes become their characters, other words stay, `..` starts a comment. */
function unicodeText(argument: string): string {
  const comment = argument.search(/(?:^|\s)\.\.(?:\s|$)/);
  const words = (comment === -1 ? argument : argument.slice(0, comment)).split(/\s+/).filter((word) => word !== '');
  return words.map((word) => {
    const code = CHARACTER_CODE.exec(word);
    if (code === null) return word;
    const point = code[3] !== undefined ? Number(code[3]) : Number.parseInt(code[1] ?? code[2]!, 16);
    return isCharacter(point) ? String.fromCodePoint(point) : word;
  }).join('');
}

/** A code point that is text: not a control character, not half of a surrogate pair, within Unicode. */
function isCharacter(point: number): boolean {
  return (point === 0x09 || point >= 0x20) && !(point >= 0x7f && point < 0xa0) && !(point >= 0xd800 && point <= 0xdfff) && point <= 0x10ffff;
}
