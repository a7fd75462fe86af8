/**
 * How to run one of the project's entry points in a child process, in the form its parent runs:
 * from the compiled output (dist/, what `npm start`, the images and `npm test` run) a child is
 * plain Node with source maps and starts in a fraction of a second; from the TypeScript sources
 * (a file run through tsx, say a single test) it runs through tsx too, so parent and child always
 * run the same code.
 */
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/** True when this module (hence the whole process) runs from dist/. */
export const COMPILED = import.meta.url.endsWith('.js');

/** The folder entry paths are relative to: the repository, or dist/ when compiled. */
const CODE_ROOT = new URL('../', import.meta.url);

/** The repository root (dist/'s parent when compiled): the children's working directory. */
export const PROJECT_ROOT = fileURLToPath(new URL(COMPILED ? '../../' : '../', import.meta.url));

/** Node's flags for a child that runs the project's code the way this process does. */
// tsx by its own URL: a child's working directory need not see node_modules.
export const NODE_FLAGS: readonly string[] = COMPILED ? ['--enable-source-maps'] : ['--import', import.meta.resolve('tsx')];

/** The file this process would run for a source path from the repository root, such as 'gateway/main.ts'. */
export function entryPath(entry: string): string {
  return fileURLToPath(new URL(COMPILED ? entry.replace(/\.ts$/, '.js') : entry, CODE_ROOT));
}

/** Node's arguments to run `entry` (a source path, as for entryPath) in a child process. */
export function nodeArgs(entry: string): string[] {
  return [...NODE_FLAGS, entryPath(entry)];
}

/**
 * A worker thread running `entry` (a source path, as for entryPath) the way this process runs.
 * Loader flags given to a process do not reach its worker threads on Node 20, so from the sources
 * the thread registers tsx itself before loading the entry.
 */
export function startWorkerThread(entry: string, options: WorkerOptions = {}): Worker {
  const file = pathToFileURL(entryPath(entry));
  if (COMPILED) return new Worker(file, options);
  const load = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))})
  .then(({ register }) => { register(); return import(${JSON.stringify(file.href)}); })`;
  return new Worker(load, { ...options, eval: true });
}
