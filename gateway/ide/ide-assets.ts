import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

/** One static file of the IDE page, read once from disk and held in memory. */
export interface IdeAsset {
  /** Path served, `/ide/<content hash>/<file name>`: the hash makes it safe to cache forever. */
  readonly urlPath: string;
  readonly contentType: string;
  readonly body: Buffer;
  /** The body gzipped once at load, sent when the client accepts gzip. */
  readonly gzipped: Buffer;
  /** Strong validator (quoted content hash) for If-None-Match. */
  readonly etag: string;
}

/** The files the IDE page loads, by role, plus a lookup by served path. */
export interface IdeAssets {
  readonly stylesheet: IdeAsset;
  /** Scripts in the order the page must run them (React before GraphiQL, the boot script last). */
  readonly scripts: readonly IdeAsset[];
  readonly byPath: ReadonlyMap<string, IdeAsset>;
}

const JS = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';

/**
 * Where each file comes from. The UMD builds are used as published, without a bundler; they exist
 * only in graphiql 3 and React 18 (graphiql 4 and React 19 dropped them), hence the major checks.
 */
const PACKAGE_FILES = [
  { role: 'stylesheet', pkg: 'graphiql', major: 3, file: 'graphiql.min.css', contentType: CSS },
  { role: 'script', pkg: 'react', major: 18, file: 'umd/react.production.min.js', contentType: JS },
  { role: 'script', pkg: 'react-dom', major: 18, file: 'umd/react-dom.production.min.js', contentType: JS },
  { role: 'script', pkg: 'graphql-ws', major: 6, file: 'umd/graphql-ws.min.js', contentType: JS },
  { role: 'script', pkg: 'graphiql', major: 3, file: 'graphiql.min.js', contentType: JS },
] as const;

/** Browser code that mounts GraphiQL; plain JS because it is served as is. */
const BOOT_SCRIPT = fileURLToPath(new URL('./ide-boot.js', import.meta.url));

const requireFromHere = createRequire(import.meta.url);

/**
 * Reads every IDE file from node_modules and this folder, synchronously and once, so a missing
 * package fails at gateway start-up rather than on the first browser visit.
 */
export function loadIdeAssets(): IdeAssets {
  let stylesheet: IdeAsset | undefined;
  const scripts: IdeAsset[] = [];
  for (const source of PACKAGE_FILES) {
    const path = join(packageRoot(source.pkg, source.major), source.file);
    const asset = makeAsset(readOrExplain(path, source.pkg), source.file, source.contentType);
    if (source.role === 'stylesheet') stylesheet = asset;
    else scripts.push(asset);
  }
  scripts.push(makeAsset(readOrExplain(BOOT_SCRIPT, 'gateway/ide'), 'ide-boot.js', JS));
  if (stylesheet === undefined) throw new Error('IDE asset table lists no stylesheet');
  const all = [stylesheet, ...scripts];
  return { stylesheet, scripts, byPath: new Map(all.map((asset) => [asset.urlPath, asset])) };
}

/**
 * Resolves through `<pkg>/package.json` because none of these packages export their UMD files in
 * their `exports` map, so resolving the file itself would throw ERR_PACKAGE_PATH_NOT_EXPORTED.
 */
function packageRoot(pkg: string, major: number): string {
  let manifestPath: string;
  try {
    manifestPath = requireFromHere.resolve(`${pkg}/package.json`);
  } catch {
    throw new Error(`GraphQL IDE: package "${pkg}" is not installed; run \`npm install ${pkg}@${major}\``);
  }
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { version?: unknown };
  const version = typeof manifest.version === 'string' ? manifest.version : '';
  if (!version.startsWith(`${major}.`)) {
    throw new Error(
      `GraphQL IDE: needs ${pkg}@${major}.x for its UMD build, found ${version || 'no version'}; ` +
        `run \`npm install ${pkg}@${major}\``,
    );
  }
  return dirname(manifestPath);
}

function readOrExplain(path: string, owner: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new Error(`GraphQL IDE: cannot read ${path} (from ${owner}); reinstall it with \`npm ci\``, {
      cause: error,
    });
  }
}

function makeAsset(body: Buffer, file: string, contentType: string): IdeAsset {
  const hash = createHash('sha256').update(body).digest('base64url').slice(0, 16);
  const name = file.slice(file.lastIndexOf('/') + 1);
  return { urlPath: `/ide/${hash}/${name}`, contentType, body, gzipped: gzipSync(body), etag: `"${hash}"` };
}
