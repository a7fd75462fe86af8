import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { lowerCpuPriority } from './cpu-priority.ts';

// Run in child processes: a priority once lowered cannot be raised again without privileges.
const CHILD = `
  const { readdirSync, readFileSync } = await import('node:fs');
  const { lowerCpuPriority } = await import(process.env.MODULE_URL);
  const { STAT, statFields } = await import(process.env.PROC_STAT_URL);
  const niceOf = (tid) => Number(statFields('/proc/self/task/' + tid + '/stat')[STAT.nice]);
  const threads = () => readdirSync('/proc/self/task').map(niceOf);
  const autogroup = () => { try { return readFileSync('/proc/self/autogroup', 'utf8').trim(); } catch { return null; } };
  const before = threads();
  const autogroupBefore = autogroup();
  const outcome = lowerCpuPriority(7);
  const after = threads();
  // A thread started afterwards.
  const { Worker } = await import('node:worker_threads');
  const worker = new Worker('setTimeout(() => {}, 1000)', { eval: true });
  await new Promise((resolve) => worker.once('online', resolve));
  const later = threads();
  await worker.terminate();
  console.log(JSON.stringify({ before, after, later, autogroupBefore, autogroupAfter: autogroup(), outcome }));
`;

interface ChildReport {
  readonly before: number[];
  readonly after: number[];
  readonly later: number[];
  readonly autogroupBefore: string;
  readonly autogroupAfter: string;
  readonly outcome: string;
}

/** A module's URL beside this one, in the form this file runs (TypeScript sources or dist/). */
const sibling = (path: string) => new URL(`${path}${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url).href;

/** Runs CHILD in a process of its own; `ownSession`: detached, so it leads a new session (and autogroup). */
function runChild(ownSession: boolean): Promise<ChildReport> {
  const child = spawn(process.execPath, [...process.execArgv, '--input-type=module', '-e', CHILD], {
    env: { ...process.env, MODULE_URL: sibling('./cpu-priority'), PROC_STAT_URL: sibling('../supervisor/proc-stat') },
    detached: ownSession, stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout.on('data', (data: Buffer) => { output += data.toString(); });
  return new Promise((resolve, reject) => child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(output) as ChildReport) : reject(new Error(`child exited with ${code}`)))));
}

const ownAutogroup = () => (existsSync('/proc/self/autogroup') ? readFileSync('/proc/self/autogroup', 'utf8').trim() : null);
const autogroupNice = (line: string) => Number(/nice (-?\d+)/.exec(line)?.[1]);

describe('lowerCpuPriority', function () {
  this.timeout(30_000);

  it('should lower every thread of the process, the ones Node started before it included', async function () {
    if (!existsSync('/proc/self/task')) {
      console.log('    per-thread priorities: skipped — no /proc/self/task (not Linux: one priority per process)');
      this.skip();
    }
    const autogroupBefore = ownAutogroup();
    const { before, after, later } = await runChild(false);
    assert.equal(ownAutogroup(), autogroupBefore, 'the session shared with this process keeps its autogroup');
    assert.ok(before.length > 1, `Node starts helper threads: ${before.length}`);
    assert.ok(before.every((nice) => nice === 0), `all at 0 before: ${before}`);
    assert.deepEqual(after, after.map(() => 7), `every thread at 7 after: ${after}`);
    assert.ok(later.length > after.length, `a thread was started afterwards: ${after.length} → ${later.length}`);
    assert.deepEqual(later, later.map(() => 7), `threads started afterwards inherit it: ${later}`);
  });

  it('should lower the autogroup of a process that leads its own session, and leave a shared one alone', async function () {
    if (!existsSync('/proc/self/autogroup')) {
      console.log('    autogroup priority: skipped — this kernel has no autogroups (/proc/self/autogroup), so thread priorities are all there is');
      this.skip();
    }
    const own = await runChild(true);
    assert.equal(autogroupNice(own.autogroupBefore), 0, own.autogroupBefore);
    assert.equal(autogroupNice(own.autogroupAfter), 7, `its own autogroup lowered: ${own.autogroupAfter}`);
    assert.equal(own.outcome, 'lowered');
    const parentBefore = ownAutogroup();
    const shared = await runChild(false);
    assert.equal(shared.autogroupBefore, parentBefore, 'the child shares its parent\'s session and autogroup');
    assert.equal(ownAutogroup(), parentBefore, 'the shared autogroup, untouched');
    assert.equal(shared.outcome, 'shared');
  });

  it('should refuse a value outside what the system accepts', () => {
    assert.throws(() => lowerCpuPriority(1000));
  });
});
