import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { compareHeaps, groupHeap } from './heap-compare.ts';

/**
 * Snapshots of a small child process: a snapshot of the test runner's own heap (the whole suite
 * loaded) takes longer than a test may.
 */
function snapshotsOfChild(dir: string): { before: string; after: string } {
  const before = path.join(dir, 'before.heapsnapshot');
  const after = path.join(dir, 'after.heapsnapshot');
  execFileSync(process.execPath, ['-e', `
    const { writeHeapSnapshot } = require('node:v8');
    class HeldPerJob { constructor(id) { this.id = id; } }
    writeHeapSnapshot(${JSON.stringify(before)});
    const held = Array.from({ length: 5000 }, (_, i) => new HeldPerJob(i));
    writeHeapSnapshot(${JSON.stringify(after)});
    if (held.length !== 5000) process.exit(1); // kept alive until the second snapshot
  `]);
  return { before, after };
}

describe('heap-compare', () => {
  it('shows objects kept per job as their constructor growing by the number of jobs', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'heap-compare-'));
    try {
      const snapshots = snapshotsOfChild(dir);
      const before = groupHeap(snapshots.before);
      const after = groupHeap(snapshots.after);
      const grown = (after.get('object HeldPerJob')?.count ?? 0) - (before.get('object HeldPerJob')?.count ?? 0);
      assert.equal(grown, 5000);
      assert.match(compareHeaps(before, after, 10_000).join('\n'), /\s5000\s+5000\s+object HeldPerJob$/m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
