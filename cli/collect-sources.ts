/**
 * Turns the arguments of `rag ingest` into documents to send: files as given, folders walked
 * recursively (dotfiles and node_modules skipped), globs expanded, http(s) URLs passed through.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { glob, isDynamicPattern } from 'tinyglobby';
import { UsageError } from './connection.ts';

/** One document to ingest: a local file (read and typed later) or a URL the fetch actor fetches. */
export type Source =
  | { readonly kind: 'file'; readonly name: string; readonly absolutePath: string }
  | { readonly kind: 'url'; readonly name: string; readonly url: string };

const URL_ARGUMENT = /^https?:\/\//i;

/** Sources in argument order, each file once (however many arguments reach it). */
export async function collectSources(args: readonly string[], cwd: string): Promise<Source[]> {
  const sources: Source[] = [];
  const seen = new Set<string>();
  const addFile = (name: string) => {
    const absolutePath = path.resolve(cwd, name);
    if (seen.has(absolutePath)) return;
    seen.add(absolutePath);
    sources.push({ kind: 'file', name, absolutePath });
  };
  for (const arg of args) {
    if (URL_ARGUMENT.test(arg)) {
      if (!seen.has(arg)) sources.push({ kind: 'url', name: arg, url: arg });
      seen.add(arg);
      continue;
    }
    const info = await stat(path.resolve(cwd, arg)).catch(() => undefined);
    if (info?.isDirectory()) {
      for (const file of await walk(path.resolve(cwd, arg))) addFile(path.join(arg, path.relative(path.resolve(cwd, arg), file)));
    } else if (info?.isFile()) {
      addFile(arg);
    } else if (isDynamicPattern(arg)) {
      const matches = await glob(arg, { cwd, onlyFiles: true, dot: false, ignore: ['**/node_modules/**'], expandDirectories: false });
      if (matches.length === 0) throw new UsageError(`rag ingest: the pattern "${arg}" matches no files`);
      for (const match of matches.sort()) addFile(match);
    } else {
      throw new UsageError(`rag ingest: "${arg}" is neither a file, a folder, a glob nor an http(s) URL`);
    }
  }
  return sources;
}

/** Files under `folder`, sorted, skipping dotfiles, dot-folders and node_modules. */
async function walk(folder: string): Promise<string[]> {
  const files: string[] = [];
  const entries = await readdir(folder, { withFileTypes: true });
  entries.sort((a, b) => a.name.localeCompare(b.name));
  for (const entry of entries) {
    if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
    const full = path.join(folder, entry.name);
    if (entry.isDirectory()) files.push(...(await walk(full)));
    else if (entry.isFile()) files.push(full);
  }
  return files;
}
