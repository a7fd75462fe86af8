#!/usr/bin/env node
/**
 * `npm run build` (and `npm ci`, through `prepare`): compiles every TypeScript source into dist/,
 * one JavaScript file per source with its source map, and copies the other source files beside
 * them. esbuild, not tsc: it emits the whole tree in well under a second (tsc --noCheck takes
 * seconds), which lets `npm start` rebuild stale output on the spot. Type checking stays with
 * `npm run typecheck` and `npm test`.
 */
import { copyFileSync, mkdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
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

/** Builds dist/ from scratch (so a deleted source leaves no module behind); returns the file count. */
export async function build() {
  const started = new Date();
  const { ts, assets } = listSources();
  const out = join(ROOT, OUT_DIR);
  rmSync(out, { recursive: true, force: true });
  await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: ts,
    outdir: OUT_DIR,
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
    mkdirSync(dirname(join(out, file)), { recursive: true });
    copyFileSync(join(ROOT, file), join(out, file));
  }
  // The stamp's time is the build's start: a source saved during the build counts as newer.
  writeFileSync(join(ROOT, STAMP), [...ts, ...assets].join('\n'));
  utimesSync(join(ROOT, STAMP), started, started);
  return ts.length + assets.length;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const started = performance.now();
  const count = await build();
  console.log(`built ${count} files into ${OUT_DIR}/ in ${Math.round(performance.now() - started)} ms`);
}
