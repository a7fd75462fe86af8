import type { ParsedDocument } from '../parsed-document.ts';
import { parseHtml } from './html.ts';

type Asciidoctor = ReturnType<typeof import('@asciidoctor/core').default>;

/**
 * Asciidoctor.js, loaded at the first AsciiDoc document: its runtime (Opal, 9 MB) costs a parse
 * worker 60 ms and the methods it adds to built-in prototypes, which a worker that never sees
 * AsciiDoc need not pay.
 */
let processor: Promise<Asciidoctor> | null = null;

/**
 * AsciiDoc → HTML with Asciidoctor.js, then the HTML parser: sections under their heading paths,
 * the document title (`= Title`) the title and first heading. In the `secure` safe mode, as for any
 * input from a client: `include::` reads no file or URL (it becomes a link), and attributes that
 * would name the server's paths are blank.
 */
export async function parseAsciidoc(text: string): Promise<ParsedDocument> {
  processor ??= import('@asciidoctor/core').then(({ default: load }) => {
    const asciidoctor = load();
    // Its warnings about the markup ("level 0 sections can only be used when doctype is book") go
    // to stderr, one line each: a client's document could fill a worker's log with them.
    asciidoctor.LoggerManager.setLogger(asciidoctor.NullLogger.create());
    return asciidoctor;
  });
  const html = (await processor).convert(text, { safe: 'secure', attributes: { showtitle: true } }) as string;
  return parseHtml(html);
}
