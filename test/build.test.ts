/**
 * The build (build/*.js, run by `npm ci`, `npm start` and `npm test`): compiles a project's
 * TypeScript into dist/ with relative `.ts` imports pointing at the emitted `.js`, copies other
 * files beside them, maps stack traces back to the TypeScript, and rebuilds only when a source
 * changed, was added or was removed. Run on a small project of its own in a temporary folder.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
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
    // The project's own `prepare`, which npm runs in `npm ci` and when `npx rag` links the folder.
    const { prepare } = (JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { scripts: { prepare: string } }).scripts;
    writeFileSync(path.join(root, 'package.json'), JSON.stringify({ name: 'build-check', type: 'module', scripts: { prepare } }));
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

  it("when npm runs `prepare` on an up-to-date build (as the first `npx rag` does), should leave dist/ as it is", async () => {
    const stamp = statSync(path.join(root, 'dist/.build-stamp')).mtimeMs;
    const { stderr } = await run('npm', ['run', '--silent', 'prepare'], { cwd: root });
    assert.equal(stderr, '');
    assert.equal(statSync(path.join(root, 'dist/.build-stamp')).mtimeMs, stamp);
  });

  it('when a rebuild runs while a process reads the compiled modules, should never leave a module missing', async () => {
    const stop = path.join(root, 'stop-reading');
    // Reads a module in a loop, as processes running from dist/ load theirs, until told to stop.
    const reader = spawn(process.execPath, ['-e', `
      const fs = require('node:fs');
      let reads = 0, missing = 0;
      console.log('reading');
      const until = Date.now() + 30000;
      while (!fs.existsSync(${JSON.stringify(stop)}) && Date.now() < until) {
        try { if (fs.readFileSync('dist/app/lib/greeting.js', 'utf8').includes('greeting')) reads++; else missing++; }
        catch { missing++; }
      }
      console.log(JSON.stringify({ reads, missing }));`], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    reader.stdout.on('data', (data: Buffer) => { output += data.toString(); });
    while (!output.includes('reading')) await once(reader.stdout, 'data');
    save('app/lib/greeting.ts', "export const greeting = (): string => 'hello meanwhile';\n");
    assert.match(await ensureBuilt(), /rebuilt dist\//);
    writeFileSync(stop, '');
    await once(reader, 'exit');
    const { reads, missing } = JSON.parse(output.split('\n').filter(Boolean).at(-1)!) as { reads: number; missing: number };
    assert.ok(reads > 0, 'the reader should have read the module');
    assert.equal(missing, 0, `the module was missing or incomplete ${missing} times of ${reads + missing} reads during the rebuild`);
    assert.equal(await runMain(), 'hello meanwhile from an asset');
    assert.deepEqual(readdirSync(root).filter((name) => name.startsWith('.dist-next-')), [], 'the build leaves no folder of its own behind');
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
