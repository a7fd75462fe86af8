/**
 * The thread AsciiDoc is converted in (see asciidoc.ts): Asciidoctor.js runs on Opal, whose
 * runtime adds methods to the built-in prototypes, and in the isolate that loads it every other
 * parser slows (HTML parsing 70×, measured). A worker thread has an isolate of its own.
 * Receives `{ id, text }`, answers `{ id, html }` or `{ id, error }`.
 */
import { parentPort } from 'node:worker_threads';
import load from '@asciidoctor/core';

const asciidoctor = load();
// Its warnings about the markup ("level 0 sections can only be used when doctype is book") go to
// stderr, one line each: a client's document could fill a worker's log with them.
asciidoctor.LoggerManager.setLogger(asciidoctor.NullLogger.create());

parentPort!.on('message', ({ id, text }: { id: number; text: string }) => {
  try {
    // `secure`, as for any client's input: include:: reads no file or URL, and attributes that
    // would name the server's paths are blank.
    const html = asciidoctor.convert(text, { safe: 'secure', attributes: { showtitle: true } }) as string;
    parentPort!.postMessage({ id, html });
  } catch (error) {
    parentPort!.postMessage({ id, error: error instanceof Error ? error.message : String(error) });
  }
});
