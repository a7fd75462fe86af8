import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { lowerCpuPriority } from './cpu-priority.ts';

// Run in a child process: a priority once lowered cannot be raised again without privileges.
const CHILD = `
  const { readdirSync, readFileSync } = await import('node:fs');
  const { lowerCpuPriority } = await import(process.env.MODULE_URL);
  const niceOf = (tid) => Number(readFileSync('/proc/self/task/' + tid + '/stat', 'utf8').split(') ')[1].split(' ')[16]);
  const before = readdirSync('/proc/self/task').map(niceOf);
  lowerCpuPriority(7);
  const after = readdirSync('/proc/self/task').map(niceOf);
  // A thread started afterwards.
  const { Worker } = await import('node:worker_threads');
  const worker = new Worker('setTimeout(() => {}, 1000)', { eval: true });
  await new Promise((resolve) => worker.once('online', resolve));
  const later = readdirSync('/proc/self/task').map(niceOf);
  await worker.terminate();
  console.log(JSON.stringify({ before, after, later }));
`;

describe('lowerCpuPriority', () => {
  it('should lower every thread of the process, the ones Node started before it included', function () {
    if (!existsSync('/proc/self/task')) this.skip(); // one priority per process outside Linux
    const output = execFileSync(process.execPath, [...process.execArgv, '--input-type=module', '-e', CHILD], {
      env: { ...process.env, MODULE_URL: new URL(`./cpu-priority${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url).href },
      encoding: 'utf8',
    });
    const { before, after, later } = JSON.parse(output) as Record<'before' | 'after' | 'later', number[]>;
    assert.ok(before.length > 1, `Node starts helper threads: ${before.length}`);
    assert.ok(before.every((nice) => nice === 0), `all at 0 before: ${before}`);
    assert.deepEqual(after, after.map(() => 7), `every thread at 7 after: ${after}`);
    assert.ok(later.length > after.length, `a thread was started afterwards: ${after.length} → ${later.length}`);
    assert.deepEqual(later, later.map(() => 7), `threads started afterwards inherit it: ${later}`);
  });

  it('should refuse a value outside what the system accepts', () => {
    assert.throws(() => lowerCpuPriority(1000));
  });
});
