/**
 * Lowers the CPU priority of this whole process, so background work yields the cores to the
 * gateway. Two things on Linux stop a plain `setpriority` on the process id from doing that:
 * - A priority is kept per thread: the call changes the main thread alone, and the threads Node
 *   starts before any of our code runs (V8's garbage collector and compiler threads, the
 *   inspector's) keep theirs. In the bench those threads spent a third of a pipeline worker's CPU
 *   at full priority. So every thread listed in /proc/self/task is lowered; a thread started
 *   afterwards inherits its creator's priority.
 * - With autogroups on (the default of desktop and many server kernels), the CPU is shared first
 *   between sessions and a thread's nice value counts only against threads of its own session.
 *   An actor started in a session of its own (from its own terminal, or detached by a parent)
 *   then competed with the gateway as an equal whatever its nice value: in the bench, niced, it
 *   still took 42% of the machine during an ingest burst while searches waited on the run queue.
 *   So a process that leads its own session lowers its autogroup as well. One that shares a
 *   session (under `npm start`'s supervisor, beside the gateway) leaves it alone: lowering it would
 *   lower the gateway too, and there the threads' own nice values already decide.
 */
import { readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { STAT, statFields } from '../supervisor/proc-stat.ts';

const TASKS = '/proc/self/task';
const AUTOGROUP = '/proc/self/autogroup';

/** What lowerCpuPriority could lower besides the threads. */
export type AutogroupOutcome = 'lowered' | 'shared' | 'unavailable';

/**
 * Sets `nice` (0..19) on every thread of this process, and on its autogroup if it leads its own
 * session; says what became of the autogroup.
 */
export function lowerCpuPriority(nice: number): AutogroupOutcome {
  let threads: number[];
  try {
    threads = readdirSync(TASKS).map(Number);
  } catch {
    os.setPriority(nice); // not Linux: one priority for the process
    return 'unavailable';
  }
  for (const thread of threads) {
    try {
      os.setPriority(thread, nice);
    } catch (error) {
      // A thread that ended since the listing has nothing left to lower.
      if ((error as { info?: { code?: string } }).info?.code !== 'ESRCH') throw error;
    }
  }
  if (!leadsOwnSession()) return 'shared';
  try {
    writeFileSync(AUTOGROUP, String(nice));
    return 'lowered';
  } catch {
    // No autogroups in this kernel, or /proc not writable here (a read-only container): the
    // threads' values are all there is, and within a container's own CPU group they decide.
    return 'unavailable';
  }
}

/** True when this process is its session's leader (its session id is its process id). */
function leadsOwnSession(): boolean {
  return Number(statFields('/proc/self/stat')?.[STAT.session]) === process.pid;
}
