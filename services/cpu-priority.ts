/**
 * Lowers the CPU priority of this whole process, so background work yields the cores to the
 * gateway. Linux keeps a priority per thread: `setpriority` on the process id changes the main
 * thread alone, and the threads Node starts before any of our code runs (V8's garbage collector
 * and compiler threads, the inspector's) keep theirs. In the bench those threads spent a third of
 * a pipeline worker's CPU at full priority, beside the gateway's searches. So every thread listed
 * in /proc/self/task is lowered; a thread started afterwards inherits its creator's priority.
 */
import { readdirSync } from 'node:fs';
import os from 'node:os';

const TASKS = '/proc/self/task';

/** Sets `nice` (0..19) on every thread of this process; elsewhere than Linux, on the process. */
export function lowerCpuPriority(nice: number): void {
  let threads: number[];
  try {
    threads = readdirSync(TASKS).map(Number);
  } catch {
    os.setPriority(nice);
    return;
  }
  os.setPriority(nice);
  for (const thread of threads) {
    try {
      os.setPriority(thread, nice);
    } catch (error) {
      // A thread that ended since the listing has nothing left to lower.
      if ((error as { info?: { code?: string } }).info?.code !== 'ESRCH') throw error;
    }
  }
}
