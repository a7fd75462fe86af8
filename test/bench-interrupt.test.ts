import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeArgs, PROJECT_ROOT } from '../supervisor/node-command.ts';

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('bench processes', function () {
  this.timeout(30_000);

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`when the bench gets ${signal}, should stop every child it started (and start none after), then clean up and remove its folders, and exit as the signal would`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'rag-bench-interrupt-'));
      const cleanedUp = join(dir, 'cleaned-up.json');
      const bench = spawn(process.execPath, [...nodeArgs('test/support/bench-interrupt-main.ts'), cleanedUp], { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      let pids: number[] = [];
      try {
        let out = '';
        for await (const data of bench.stdout) {
          out += String(data);
          if (out.includes('\n')) break;
        }
        pids = JSON.parse(out.split('\n')[0]!) as number[];
        assert.equal(pids.length, 2);
        assert.ok(pids.every(alive), 'the children run');
        // The children are in process groups of their own: a terminal's Ctrl-C reaches the bench alone.
        const exited = once(bench, 'exit');
        bench.kill(signal);
        const [code] = await exited as [number | null];
        assert.equal(code, signal === 'SIGINT' ? 130 : 143);
        assert.deepEqual(pids.filter(alive), [], 'no child is left running');
        // Nor one the run went on to start after the signal.
        const late = readFileSync(join(dir, 'late.txt'), 'utf8');
        if (/^\d+$/.test(late)) pids.push(Number(late));
        assert.deepEqual(pids.filter(alive), [], `no child is left running (the late one: ${late})`);
        assert.ok(existsSync(cleanedUp), 'the clean-up ran');
        assert.deepEqual(JSON.parse(readFileSync(cleanedUp, 'utf8')), { childrenRunning: 0 }, 'after the children stopped');
        assert.ok(!existsSync(join(dir, 'data')), 'the registered folder is removed');
      } finally {
        rmSync(dir, { recursive: true, force: true });
        bench.kill('SIGKILL');
        for (const pid of pids.filter(alive)) process.kill(pid, 'SIGKILL');
      }
    });
  }
});
