/**
 * The build (build/*.js, run by `npm ci`, `npm start` and `npm test`): compiles a project's
 * TypeScript into dist/ with relative `.ts` imports pointing at the emitted `.js`, copies other
 * files beside them, maps stack traces back to the TypeScript, and rebuilds only when a source
 * changed, was added or was removed. Run on a small project of its own in a temporary folder.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { PROJECT_ROOT } from '../supervisor/node-command.ts';

const run = promisify(execFile);

describe('build: compiled output in dist/', function () {
  this.timeout(60_000);
  let root: string;

  before(() => {
    root = mkdtempSync(path.join(tmpdir(), 'rag-build-'));
    cpSync(path.join(PROJECT_ROOT, 'build'), path.join(root, 'build'), { recursive: true });
    symlinkSync(path.join(PROJECT_ROOT, 'node_modules'), path.join(root, 'node_modules'));
    writeFileSync(path.join(root, 'package.json'), JSON.stringify({ type: 'module' }));
    writeFileSync(path.join(root, 'tsconfig.json'), JSON.stringify({ include: ['app'] }));
    mkdirSync(path.join(root, 'app', 'lib'), { recursive: true });
    writeFileSync(path.join(root, 'app', 'main.ts'), [
      "import { readFileSync } from 'node:fs';",
      "import { greeting } from './lib/greeting.ts';",
      "const note: string = readFileSync(new URL('./note.txt', import.meta.url), 'utf8');",
      'console.log(`${greeting()} ${note}`);',
    ].join('\n'));
    writeFileSync(path.join(root, 'app', 'note.txt'), 'from an asset');
    writeFileSync(path.join(root, 'app', 'lib', 'greeting.ts'), "export const greeting = (): string => 'hello';\n");
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  const ensureBuilt = async () => (await run(process.execPath, ['build/ensure-built.js'], { cwd: root })).stderr;
  const runMain = async () => (await run(process.execPath, ['--enable-source-maps', 'dist/app/main.js'], { cwd: root })).stdout.trim();
  /** Saves a source with a modification time after the build's. */
  function save(file: string, text: string): void {
    writeFileSync(path.join(root, file), text);
    const later = new Date(Date.now() + 2000);
    utimesSync(path.join(root, file), later, later);
  }

  it('when never built, should build: .ts imports run as .js and assets sit beside the code', async () => {
    assert.match(await ensureBuilt(), /rebuilt dist\/ \(dist\/ has not been built\)/);
    assert.equal(await runMain(), 'hello from an asset');
  });

  it('when nothing changed, should not rebuild', async () => {
    assert.equal(await ensureBuilt(), '');
  });

  it('when a source is newer than the build, should rebuild before the code runs', async () => {
    save('app/lib/greeting.ts', "export const greeting = (): string => 'hello again';\n");
    assert.match(await ensureBuilt(), /rebuilt dist\/ \(app\/lib\/greeting\.ts changed\)/);
    assert.equal(await runMain(), 'hello again from an asset');
  });

  it('when a source is removed, should rebuild without the module it compiled to', async () => {
    save('app/extra.ts', 'export const extra = 1;\n');
    await ensureBuilt();
    assert.ok(existsSync(path.join(root, 'dist/app/extra.js')));
    rmSync(path.join(root, 'app/extra.ts'));
    assert.match(await ensureBuilt(), /source files were added or removed/);
    assert.equal(existsSync(path.join(root, 'dist/app/extra.js')), false);
  });

  it('when compiled code throws, should name the TypeScript file and line in the stack trace', async () => {
    save('app/lib/greeting.ts', "export const greeting = (): string => {\n  throw new Error('no greeting');\n};\n");
    await ensureBuilt();
    const failed = await runMain().then(() => null, (error: { stderr: string }) => error.stderr);
    assert.ok(failed, 'the program should fail');
    assert.match(failed, /app\/lib\/greeting\.ts:2:9/);
  });
});
