#!/usr/bin/env node
/**
 * Run before every command that starts the compiled output (`npm start`, `npm run gateway`, …):
 * rebuilds dist/ when a source is newer than the build, so a changed source never runs as its old
 * compiled self. The check stats the sources (tens of milliseconds); the rebuild takes about a second.
 */
import { staleReason } from './sources.js';

const reason = staleReason();
if (reason !== null) {
  const started = performance.now();
  // Imported only when needed: esbuild is a dev dependency, absent from production images.
  const { build } = await import('./build.js').catch((error) => {
    throw new Error(`dist/ is out of date (${reason}) and cannot be rebuilt here: ${error.message}; run \`npm ci\``);
  });
  const count = await build();
  console.error(`rebuilt dist/ (${reason}): ${count} files in ${Math.round(performance.now() - started)} ms`);
}
