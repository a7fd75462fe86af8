import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeHeapSnapshot } from 'node:v8';
import { compareHeaps, groupHeap } from './heap-compare.ts';

class HeldPerJob {
  constructor(readonly id: number) {}
}

describe('heap-compare', () => {
  it('shows objects kept per job as their constructor growing by the number of jobs', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'heap-compare-'));
    try {
      const before = groupHeap(writeHeapSnapshot(path.join(dir, 'before.heapsnapshot')));
      const held = Array.from({ length: 5000 }, (_, i) => new HeldPerJob(i));
      const after = groupHeap(writeHeapSnapshot(path.join(dir, 'after.heapsnapshot')));
      assert.equal(held.length, 5000); // kept alive until the second snapshot

      const grown = (after.get('object HeldPerJob')?.count ?? 0) - (before.get('object HeldPerJob')?.count ?? 0);
      assert.equal(grown, 5000);
      assert.match(compareHeaps(before, after, 10_000).join('\n'), /\s5000\s+5000\s+object HeldPerJob$/m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
