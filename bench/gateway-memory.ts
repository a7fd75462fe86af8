/**
 * One process's memory as two views that tell retained objects from everything else: the kernel's
 * (resident, its peak since the last reset, anonymous and file-backed, from /proc) and V8's
 * (heap used and reserved, external memory, through the inspector), before and after a forced
 * full GC. Heap used after GC flat while RSS moves means V8's garbage between collections, native
 * memory or the allocator, not objects kept.
 */
import type { InspectorClient } from './inspector-client.ts';
import { residentMb, type BenchProcess } from './processes.ts';

/** One reading, in MB (CPU in seconds). */
export interface MemoryReading {
  readonly rss: number;
  /** Peak RSS since the previous reading: the top of the heap's garbage sawtooth, wherever `rss` fell in it. */
  readonly peak: number;
  readonly anon: number;
  readonly file: number;
  readonly heapUsed: number;
  readonly heapTotal: number;
  readonly external: number;
  /** After a full GC (null when not forced): what is really kept. */
  readonly rssAfterGc: number | null;
  readonly heapUsedAfterGc: number | null;
  /** The process's CPU seconds since the previous reading, the forced GC or snapshot excluded. */
  readonly cpuSeconds: number;
}

const MB = 1024 * 1024;

/**
 * Reads `child` now and starts its peak and CPU count over. `collect` forces the full GC (a heap
 * snapshot does one too); without it the process is left as it was, as in `npm run bench`.
 */
export function memoryProbe(child: BenchProcess, inspector: InspectorClient, cpuSeconds: (pid: number) => number | null) {
  let cpuBefore = cpuSeconds(child.pid) ?? 0;
  child.resetPeak();
  return async (collect: (() => Promise<void>) | null): Promise<MemoryReading> => {
    const cpu = (cpuSeconds(child.pid) ?? 0) - cpuBefore;
    const resident = residentMb(child.pid);
    const usage = await inspector.memoryUsage();
    let afterGc: { rss: number; heapUsed: number } | null = null;
    if (collect) {
      await collect();
      afterGc = { rss: residentMb(child.pid).rss, heapUsed: (await inspector.memoryUsage()).heapUsed / MB };
    }
    cpuBefore = cpuSeconds(child.pid) ?? 0;
    child.resetPeak();
    return {
      ...resident, heapUsed: usage.heapUsed / MB, heapTotal: usage.heapTotal / MB, external: usage.external / MB,
      rssAfterGc: afterGc?.rss ?? null, heapUsedAfterGc: afterGc?.heapUsed ?? null, cpuSeconds: cpu,
    };
  };
}

/** A line on V8's heap spaces (used/reserved MB) and RSS, for watching the sawtooth as it happens. */
export async function heapSpacesLine(child: BenchProcess, inspector: InspectorClient): Promise<string> {
  const spaces = await inspector.evaluate<{ space_name: string; space_size: number; space_used_size: number }[]>(
    "process.getBuiltinModule('v8').getHeapSpaceStatistics()");
  const space = (name: string) => {
    const found = spaces.find((candidate) => candidate.space_name === name);
    return found ? `${(found.space_used_size / MB).toFixed(0)}/${(found.space_size / MB).toFixed(0)}` : '-';
  };
  return `rss ${residentMb(child.pid).rss.toFixed(0)} MB; V8 used/reserved MB: new ${space('new_space')}, old ${space('old_space')}, ` +
    `code ${space('code_space')}, large objects ${space('large_object_space')}`;
}
