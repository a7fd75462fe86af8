/**
 * CPU seconds per process, from /proc/<pid>/stat (utime + stime), so every run shows where the
 * machine's time went: the bench's own children, the bench itself (the clients) and the broker.
 * The broker is shared with anything else using it at the time, which its figure includes.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { STAT, childrenOf, statFields } from '../supervisor/proc-stat.ts';

/** Clock ticks per second, the unit of /proc/<pid>/stat's times (100 on Linux almost always). */
const TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** User plus system CPU seconds a process has used so far, or null if it is gone. */
export function cpuSeconds(pid: number): number | null {
  const fields = statFields(`/proc/${pid}/stat`);
  return fields === null ? null : (Number(fields[STAT.utime]) + Number(fields[STAT.stime])) / TICKS;
}

/**
 * CPU seconds of a process and every process below it: the parse actor's worker processes, say,
 * which parse each document. Counts live descendants and (through cutime/cstime) those that ended.
 */
export function treeCpuSeconds(pid: number): number | null {
  const own = processTimes(pid);
  if (own === null) return null;
  return childrenOf(pid).reduce((total, child) => total + (treeCpuSeconds(child) ?? 0), own);
}

/** utime + stime + cutime + cstime (its own and its ended children's), in seconds. */
function processTimes(pid: number): number | null {
  const fields = statFields(`/proc/${pid}/stat`);
  return fields === null ? null
    : (Number(fields[STAT.utime]) + Number(fields[STAT.stime]) + Number(fields[STAT.cutime]) + Number(fields[STAT.cstime])) / TICKS;
}

/**
 * The broker's Erlang VM: the longest-running beam.smp that boots RabbitMQ (`-s rabbit`). Not the
 * first beam.smp in /proc: rabbitmqctl runs one for each command, the queue-types section starts a
 * cluster of three, and with pids wrapping at 32,768 either can come first, as in a run whose
 * broker CPU read null (2026-12-07).
 */
export function brokerPid(): number | null {
  let oldest: { pid: number; start: number } | null = null;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (commandOf(pid) !== 'beam.smp' || !bootsRabbit(pid)) continue;
    const start = Number(statFields(`/proc/${pid}/stat`)?.[STAT.startTime]);
    if (Number.isFinite(start) && (oldest === null || start < oldest.start)) oldest = { pid, start };
  }
  return oldest?.pid ?? null;
}

function commandOf(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return null; // gone while we looked
  }
}

function bootsRabbit(pid: number): boolean {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return argv.some((arg, i) => arg === '-s' && argv[i + 1] === 'rabbit');
  } catch {
    return false;
  }
}

/** Named processes whose CPU time a run reports. */
export type CpuProbes = Readonly<Record<string, () => number | null>>;

/** CPU seconds per named process (null: not measurable). */
export type CpuCount = Record<string, number | null>;

/** Starts counting; the returned function gives the CPU seconds each process spent since, rounded to 0.1 s. */
export function startCpuCount(probes: CpuProbes): () => CpuCount {
  const before = Object.fromEntries(Object.entries(probes).map(([name, probe]) => [name, probe()]));
  return () => Object.fromEntries(Object.entries(probes).map(([name, probe]) => {
    const start = before[name];
    const now = probe();
    return [name, start == null || now === null ? null : Math.round((now - start) * 100) / 100];
  }));
}

/** The CPU seconds of several counts added up per process. */
export function addCpuCounts(counts: readonly CpuCount[]): CpuCount {
  const total: CpuCount = {};
  for (const count of counts) {
    for (const [name, seconds] of Object.entries(count)) {
      total[name] = seconds === null || total[name] === null ? null : Math.round(((total[name] ?? 0) + seconds) * 100) / 100;
    }
  }
  return total;
}

/** The bench process's own CPU seconds (its clients), from the same counters. */
export function ownCpuSeconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}
