/**
 * Reading Linux's /proc/<pid>/stat (proc(5)), for the figures and priorities of the project's
 * processes. The command name, second, is in parentheses and may hold spaces, so the fields are
 * counted after its closing parenthesis: the state is field 0 there.
 */
import { readFileSync } from 'node:fs';

/** Positions after the command name (proc(5)'s field number minus 3). */
export const STAT = { session: 3, utime: 11, stime: 12, cutime: 13, cstime: 14, nice: 16, startTime: 19 } as const;

/** The fields of a stat file (`/proc/<pid>/stat`, `/proc/<pid>/task/<tid>/stat`) after the command name, or null when it is gone. */
export function statFields(file: string): string[] | null {
  try {
    const stat = readFileSync(file, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** The live children of a process (Node forks from its main thread, whose task lists them). */
export function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(' ').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}
