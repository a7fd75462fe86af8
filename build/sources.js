/**
 * What the build reads: every file under the folders tsconfig.json includes. TypeScript files are
 * compiled; every other file (schema.graphql, the IDE's boot script, dashboards, test fixtures) is
 * copied beside them, so code that finds a file next to itself through `import.meta.url` finds it
 * in dist/ too. No per-file list: a new source file is picked up by the next build.
 */
import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { globSync } from 'tinyglobby';

export const ROOT = fileURLToPath(new URL('../', import.meta.url));
export const OUT_DIR = 'dist';
/** Written last by a build: its mtime is the build's start, its content the list of sources built. */
export const STAMP = `${OUT_DIR}/.build-stamp`;

// Files written into source folders at run time, not sources (see .gitignore).
const GENERATED = ['**/results/**', '**/*.log', '**/*.tmp', '**/*.d.ts'];

/** The source folders: tsconfig.json's `include` (tsconfig.json is plain JSON here). */
function sourceFolders() {
  const text = readFileSync(new URL('../tsconfig.json', import.meta.url), 'utf8');
  let config;
  try {
    config = JSON.parse(text);
  } catch (error) {
    throw new Error(`build/sources.js reads tsconfig.json as plain JSON (no comments): ${error.message}`);
  }
  if (!Array.isArray(config.include)) throw new Error('tsconfig.json: "include" must list the source folders');
  return config.include;
}

/** Source files relative to the root, sorted: `ts` to compile, `assets` to copy. */
export function listSources() {
  const files = globSync(sourceFolders().map((folder) => `${folder}/**`), {
    cwd: ROOT, ignore: GENERATED, onlyFiles: true, dot: false,
  }).sort();
  return { ts: files.filter((file) => file.endsWith('.ts')), assets: files.filter((file) => !file.endsWith('.ts')) };
}

/**
 * Why dist/ cannot be run as it is, or null when it can: never built, a source added or removed,
 * or a source (or tsconfig.json, package.json) changed since the build started.
 */
export function staleReason() {
  let stamp;
  try {
    stamp = { mtimeMs: statSync(`${ROOT}/${STAMP}`).mtimeMs, files: readFileSync(`${ROOT}/${STAMP}`, 'utf8') };
  } catch {
    return `${OUT_DIR}/ has not been built`;
  }
  const { ts, assets } = listSources();
  const files = [...ts, ...assets];
  if (files.join('\n') !== stamp.files) return 'source files were added or removed';
  for (const file of [...files, 'tsconfig.json', 'package.json']) {
    if (statSync(`${ROOT}/${file}`).mtimeMs > stamp.mtimeMs) return `${file} changed`;
  }
  return null;
}
