#!/usr/bin/env node
/**
 * `npm run build` (and `npm ci`, through `prepare` and ensure-built.js): compiles every TypeScript
 * source into dist/, one JavaScript file per source with its source map, and copies the other
 * source files beside them. esbuild, not tsc: it emits the whole tree in well under a second (tsc
 * --noCheck takes seconds), which lets `npm start` rebuild stale output on the spot. Type checking
 * stays with `npm run typecheck` and `npm test`.
 */
import { copyFileSync, mkdirSync, readdirSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';
import { listSources, OUT_DIR, ROOT, STAMP } from './sources.js';

/**
 * Every import stays an import (nothing is bundled): a relative `./x.ts` becomes `./x.js`, the
 * file compiled beside it. Bundling would move code away from the files `import.meta.url` names.
 */
const keepImports = {
  name: 'keep-imports',
  setup(build) {
    build.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind === 'entry-point') return undefined;
      const relative = args.path.startsWith('./') || args.path.startsWith('../');
      return { path: relative ? args.path.replace(/\.ts$/, '.js') : args.path, external: true };
    });
  },
};

/**
 * Builds dist/ afresh (so a deleted source leaves no module behind); returns the file count.
 *
 * Processes may be running from dist/ meanwhile (`npm start` while `npm run actor` rebuilds, or
 * while npm runs `prepare` for `npx rag`), and they load modules as they go: a worker thread, a
 * parse worker, an autoscaled actor. So the new tree is written beside dist/ and each file moved
 * in with a rename, which replaces a file whole: a process reads every module either as it was or
 * as it is now, never missing or half written. Modules of removed sources go last.
 */
export async function build() {
  const started = new Date();
  const { ts, assets } = listSources();
  const out = join(ROOT, OUT_DIR);
  // A sibling of dist/, so each source map's path back to its source holds after the move.
  const next = join(ROOT, `.${OUT_DIR}-next-${process.pid}`);
  rmSync(next, { recursive: true, force: true });
  try {
    await esbuild.build({
      absWorkingDir: ROOT,
      entryPoints: ts,
      outdir: relative(ROOT, next),
      outbase: '.',
      bundle: true,
      plugins: [keepImports],
      platform: 'node',
      format: 'esm',
      target: 'node20',
      sourcemap: 'linked',
      logLevel: 'warning',
    });
    for (const file of assets) {
      mkdirSync(dirname(join(next, file)), { recursive: true });
      copyFileSync(join(ROOT, file), join(next, file));
    }
    const built = new Set(filesUnder(next));
    for (const file of built) {
      mkdirSync(dirname(join(out, file)), { recursive: true });
      renameSync(join(next, file), join(out, file));
    }
    // The old stamp stays until the new one is written: a check meanwhile finds a build, if stale.
    const stamp = relative(out, join(ROOT, STAMP));
    for (const file of filesUnder(out)) if (!built.has(file) && file !== stamp) rmSync(join(out, file));
    removeEmptyFolders(out);
  } finally {
    rmSync(next, { recursive: true, force: true });
  }
  // The stamp's time is the build's start: a source saved during the build counts as newer.
  writeFileSync(join(ROOT, STAMP), [...ts, ...assets].join('\n'));
  utimesSync(join(ROOT, STAMP), started, started);
  return ts.length + assets.length;
}

/** Every file under `dir`, relative to it (none if it does not exist). */
function filesUnder(dir) {
  let entries;
  try {
    entries = readdirSync(dir, { recursive: true, withFileTypes: true });
  } catch {
    return [];
  }
  return entries.filter((entry) => entry.isFile()).map((entry) => relative(dir, join(entry.parentPath ?? entry.path, entry.name)));
}

/** Removes the folders under `dir` that hold no file (left by removed sources); true if `dir` is empty. */
function removeEmptyFolders(dir) {
  let empty = true;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory() && removeEmptyFolders(join(dir, entry.name))) rmSync(join(dir, entry.name), { recursive: true });
    else empty = false;
  }
  return empty;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const started = performance.now();
  const count = await build();
  console.log(`built ${count} files into ${OUT_DIR}/ in ${Math.round(performance.now() - started)} ms`);
}
