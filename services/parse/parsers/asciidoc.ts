import type { Worker } from 'node:worker_threads';
import { PermanentError } from '../../../messaging/errors.ts';
import { startWorkerThread } from '../../../supervisor/node-command.ts';
import type { ParsedDocument } from '../parsed-document.ts';
import { parseHtml } from './html.ts';

type Answer = { readonly id: number; readonly html: string } | { readonly id: number; readonly error: string };

/** The conversion thread, started at the first AsciiDoc document, and the requests it has not answered. */
let thread: Worker | null = null;
const waiting = new Map<number, { resolve: (html: string) => void; reject: (error: Error) => void }>();
let nextId = 0;

/**
 * AsciiDoc → HTML with Asciidoctor.js, then the HTML parser: sections under their heading paths,
 * the document title (`= Title`) the title and first heading. The conversion runs in a thread of
 * its own (asciidoc-thread.ts), in Asciidoctor's `secure` mode; the thread is started at the first
 * AsciiDoc document (its Opal runtime takes 60 ms to load) and kept for the next. It is the same
 * process's, so the parse worker's memory cap and time limit hold for it too.
 */
export async function parseAsciidoc(text: string): Promise<ParsedDocument> {
  return parseHtml(await convert(text));
}

function convert(text: string): Promise<string> {
  const id = nextId++;
  const answer = new Promise<string>((resolve, reject) => waiting.set(id, { resolve, reject }));
  conversionThread().postMessage({ id, text });
  return answer;
}

function conversionThread(): Worker {
  if (thread !== null) return thread;
  const started = startWorkerThread('services/parse/parsers/asciidoc-thread.ts');
  // An idle thread must not keep a process alive.
  started.unref();
  started.on('message', (answer: Answer) => {
    const request = waiting.get(answer.id);
    waiting.delete(answer.id);
    if ('html' in answer) request?.resolve(answer.html);
    else request?.reject(new PermanentError(`cannot read the AsciiDoc (${answer.error}): check its markup`));
  });
  const fail = (error: Error) => {
    // Every request it held fails with it; the next document starts a new thread.
    thread = null;
    for (const request of waiting.values()) request.reject(error);
    waiting.clear();
  };
  started.on('error', fail);
  started.on('exit', (code) => fail(new Error(`the AsciiDoc conversion thread exited (code ${code})`)));
  thread = started;
  return started;
}
