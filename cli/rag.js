#!/usr/bin/env node
// The `rag` command's bin entry: npm links bins as they are, so this plain JavaScript file loads
// the compiled CLI (dist/, built by `npm ci` or `npm run build`) with stack traces mapped back to
// the TypeScript sources. Compiled output also holds a copy of this file, which loads its neighbour.
process.setSourceMapsEnabled(true);
const main = import.meta.url.endsWith('/dist/cli/rag.js') ? './main.js' : '../dist/cli/main.js';
try {
  await import(main);
} catch (error) {
  if (error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('dist/cli/main.js')) {
    console.error('rag: the CLI is not built; run `npm run build` in the rag-ingest folder');
    process.exit(1);
  }
  throw error;
}
