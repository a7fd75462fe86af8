/**
 * The benchmark's child processes: a gateway or actor entry point (compiled when the bench is) under the
 * bench environment, with its peak resident memory read from /proc/<pid>/status (VmHWM).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ChannelModel } from 'amqplib';
import type { Stage } from '../schema/domain.ts';
import { checkStageQueues } from '../messaging/stage-depth.ts';
import { deleteTopology, type Topology } from '../messaging/topology.ts';
import { nodeArgs, PROJECT_ROOT } from '../supervisor/node-command.ts';

/** A running child process. */
export interface BenchProcess {
  readonly name: string;
  readonly pid: number;
  /** Peak and current resident set size in MB (from /proc), or null once exited. */
  memory(): { readonly peakMb: number; readonly rssMb: number } | null;
  /**
   * Starts the peak over from the current RSS, so the next memory() reads the peak since now:
   * a measure of a stretch of work that does not depend on where V8's garbage sawtooth stood at
   * one instant.
   */
  resetPeak(): void;
  /** Asks the child to write its store-write accounting (BENCH_PROFILE only) and start counting again. */
  markProfile(): void;
  stop(): Promise<void>;
}

/**
 * BENCH_PROFILE=<folder>: every child writes V8 CPU profiles (one per thread) into a folder of its
 * own there when it exits, and accounts
 * its store writes (stores/sqlite/write-timing.ts); bench/profile-report.ts reads both.
 */
export const PROFILE_DIR = process.env.BENCH_PROFILE ? path.resolve(process.env.BENCH_PROFILE) : null;
// The children write their store-write accounting straight into it, so it must exist before they do.
if (PROFILE_DIR !== null) mkdirSync(PROFILE_DIR, { recursive: true });

let started = 0;

/** The children still running, stopped with the bench when it is interrupted. */
const running = new Set<ChildProcess>();
/** What the bench's `finally` would have done, run when it is interrupted instead. */
const interruptCleanups: (() => unknown)[] = [];
/** Folders removed last when interrupted, just before exiting (see removeOnInterrupt). */
const interruptFolders = new Set<string>();
let handlingSignals = false;
/** Set by the first signal: the run goes on meanwhile, and must start nothing the clean-up would miss. */
let interrupted = false;
/** How long a child has to stop on SIGTERM before it is killed. */
const STOP_GRACE_MS = 15_000;
/** How long one clean-up may take when the run is interrupted. */
const CLEANUP_TIMEOUT_MS = 10_000;

/**
 * Registers work for an interrupted run, done after its children have stopped: deleting the
 * broker namespace and the temporary data folder, say. Call it once that exists.
 */
export function onInterrupt(cleanup: () => unknown): void {
  interruptCleanups.push(cleanup);
  cleanUpOnSignal();
}

/**
 * Registers a folder to remove when the run is interrupted. Folders go last, synchronously and
 * just before exiting: the run goes on while the clean-ups wait for the broker, and a folder
 * removed then could be made again (an ingest run's store reopening its file did so).
 */
export function removeOnInterrupt(folder: string): void {
  interruptFolders.add(folder);
  cleanUpOnSignal();
}

/**
 * `cleanup` made to run once, by whichever comes first: the run's own end (call the function
 * returned) or an interrupt (registered with onInterrupt).
 */
export function cleanUpOnce(cleanup: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | null = null;
  const once = (): Promise<void> => (done ??= cleanup());
  onInterrupt(once);
  return once;
}

/**
 * A run's clean-up, run once at its end or when it is interrupted: deletes its namespace's queues
 * and exchanges, closes its broker connection and removes its data folder.
 */
export function cleanUpRun(connection: ChannelModel, names: Topology, retryDelays: readonly number[], dataDir: string, log: (message: string) => void): () => Promise<void> {
  return cleanUpOnce(async () => {
    const channel = await connection.createChannel();
    await deleteTopology(channel, names, retryDelays).catch((error) => log(`cleanup of ${names.namespace}: ${String(error)}`));
    await connection.close().catch(() => {});
    rmSync(dataDir, { recursive: true, force: true });
  });
}

/**
 * Each child runs in a process group of its own, so Ctrl-C reaches the bench alone, and Node's
 * default on SIGINT or SIGTERM (exit at once, no clean-up) would leave the gateway and the actors
 * running, holding their ports and competing with the next run for the cores, and the run's
 * queues and files behind. So the first child started (or the first registration) installs a
 * handler: the bench stops every child it started (SIGTERM, SIGKILL after STOP_GRACE_MS), runs
 * the registered clean-ups, removes the registered folders and exits as the signal would have
 * it; a second signal exits at once.
 * A process that starts no children (a child entry that imports this module) keeps its own
 * signal handling.
 */
function cleanUpOnSignal(): void {
  if (handlingSignals) return;
  handlingSignals = true;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      interrupted = true;
      process.stderr.write(`bench: ${signal}, stopping ${running.size} child process(es) and cleaning up\n`);
      // The run goes on meanwhile and fails against its stopped children: not news, and not a
      // reason to exit before the clean-up is done.
      process.on('uncaughtException', () => {});
      process.on('unhandledRejection', () => {});
      void stopChildren()
        .then(async () => {
          // Last registered first, as nested `finally` blocks would: a queue-types run's namespace
          // is deleted while the cluster that holds it still runs.
          for (const cleanup of [...interruptCleanups].reverse()) await withinTimeout(cleanup);
        })
        .finally(() => {
          for (const folder of interruptFolders) {
            // A search thread may still be writing a file into it: retried, and never in the way of the exit.
            try {
              rmSync(folder, { recursive: true, force: true, maxRetries: 3 });
            } catch (error) {
              process.stderr.write(`bench: ${folder} not removed: ${(error as Error).message}\n`);
            }
          }
          process.exit(signal === 'SIGINT' ? 130 : 143);
        });
    });
  }
}

/**
 * Runs one clean-up, for CLEANUP_TIMEOUT_MS at most: one whose broker connection died (a cluster
 * node stopped under it) waited minutes for its socket to time out, holding the exit.
 */
async function withinTimeout(cleanup: () => unknown): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<void>((resolve) => {
    timer = setTimeout(() => { process.stderr.write('bench: a clean-up took too long, left\n'); resolve(); }, CLEANUP_TIMEOUT_MS);
  });
  const done = Promise.resolve().then(cleanup).then(() => {}, (error: unknown) => { process.stderr.write(`bench: clean-up failed: ${String(error)}\n`); });
  await Promise.race([done, timedOut]);
  clearTimeout(timer);
}

async function stopChildren(): Promise<void> {
  await Promise.all([...running].map(stopChild));
}

/** SIGTERM, SIGKILL after STOP_GRACE_MS; resolves once the child has exited. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
  await exited;
  clearTimeout(timer);
}

/** Where this run's children write their stderr: .cache/bench-logs/<start time>/<name>-<n>.log. */
const LOG_DIR = path.join(PROJECT_ROOT, '.cache', 'bench-logs', new Date().toISOString().replace(/[:.]/g, '-'));

function childLogFile(name: string): string {
  mkdirSync(LOG_DIR, { recursive: true });
  return path.join(LOG_DIR, `${name}-${++logged}.log`);
}
let logged = 0;

/** `nodeFlags` go to Node itself (before the entry), `args` to the entry point. */
export function startProcess(name: string, entry: string, args: readonly string[], env: NodeJS.ProcessEnv, nodeFlags: readonly string[] = []): BenchProcess {
  // A child started after the clean-up took its list of children would outlive the bench, in a
  // process group of its own: as the actors of the next layout did when a run was stopped between two.
  if (interrupted) throw new Error(`bench interrupted: ${name} not started`);
  const profile = PROFILE_DIR === null ? [] : ['--cpu-prof', `--cpu-prof-dir=${path.join(PROFILE_DIR, `${name}-${++started}`)}`];
  const child: ChildProcess = spawn(process.execPath, [...profile, ...nodeFlags, ...nodeArgs(entry), ...args], {
    // Own process group: a signal to the bench is handled once, by its clean-up, not twice.
    cwd: PROJECT_ROOT, env: PROFILE_DIR === null ? env : { ...env, RAG_STORE_TIMING_DIR: PROFILE_DIR, RAG_STORE_TIMING_NAME: name }, stdio: ['ignore', 'ignore', 'pipe'], detached: true,
  });
  cleanUpOnSignal();
  running.add(child);
  child.once('exit', () => running.delete(child));
  // The whole of it goes to a file (a native crash can print more than the tail shown here).
  const logFile = childLogFile(name);
  const log = createWriteStream(logFile);
  let stderr = '';
  child.stderr?.on('data', (data: Buffer) => {
    log.write(data);
    stderr = (stderr + data.toString()).slice(-4000);
  });
  child.stderr?.once('end', () => log.end());
  child.on('exit', (code, signal) => {
    const tail = `${stderr}\n(all of its stderr: ${logFile})\n`;
    if (code !== 0 && code !== 130 && signal !== 'SIGTERM' && code !== null) process.stderr.write(`${name} exited with ${code}:\n${tail}`);
    if (signal !== null && signal !== 'SIGTERM' && signal !== 'SIGKILL') process.stderr.write(`${name} killed by ${signal}:\n${tail}`);
  });
  return {
    name,
    pid: child.pid!,
    memory: () => readMemory(child.pid!),
    // Linux: writing 5 to clear_refs resets VmHWM to the current RSS (proc(5)).
    resetPeak: () => { try { writeFileSync(`/proc/${child.pid!}/clear_refs`, '5'); } catch { /* exited */ } },
    markProfile: () => { if (PROFILE_DIR !== null && child.exitCode === null) child.kill('SIGUSR2'); },
    stop: () => stopChild(child),
  };
}

function readMemory(pid: number): { peakMb: number; rssMb: number } | null {
  try {
    const { rss, peak } = residentMb(pid);
    return { peakMb: Math.round(peak), rssMb: Math.round(rss) };
  } catch {
    return null;
  }
}

/** A process's resident memory in MB from /proc/<pid>/status: now, its peak (VmHWM), anonymous and file-backed. */
export function residentMb(pid: number): { rss: number; peak: number; anon: number; file: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const mb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN) / 1024;
  return { rss: mb('VmRSS'), peak: mb('VmHWM'), anon: mb('RssAnon'), file: mb('RssFile') };
}

/** Polls `check` until it returns true or `timeoutMs` passes. */
export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what} not ready after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * True when every stage in `stages` has a consumer. On a channel of its own: a passive declare of a
 * queue not declared yet closes its channel.
 */
export async function stagesConsumed(connection: ChannelModel, names: Topology, stages: readonly Stage[]): Promise<boolean> {
  const channel = await connection.createChannel();
  channel.on('error', () => {});
  try {
    for (const stage of stages) if ((await checkStageQueues(channel, names.stageQueues(stage))).consumers < 1) return false;
    return true;
  } finally {
    await channel.close().catch(() => {});
  }
}
