/**
 * Keeps child processes alive: each is a Node process running an entry point the way this process
 * runs (compiled from dist/, or through tsx; see node-command.ts); one that exits unexpectedly is restarted with back-off. Children inherit the environment
 * (so they read the same configuration) and stdout; their stderr passes through the supervisor,
 * which keeps each child's last line. An IPC channel carries `ready` (sent once a child serves)
 * and actor workers' utilisation (see services/actor-main.ts).
 *
 * A child that exits `startLimit` times in a row before it was ever ready cannot start (a
 * configuration error such as an unreachable store): restarting it forever would only hide the
 * error, so the supervisor gives up, as systemd's start limit does, and its owner stops everything.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Logger } from '../observability/logger.ts';
import { nodeArgs, PROJECT_ROOT } from './node-command.ts';

/** Restart back-off: doubles from the first delay up to the last. */
const RESTART_FIRST_DELAY_MS = 250;
const RESTART_MAX_DELAY_MS = 10_000;
/** A child that ran at least this long gets a fresh back-off. */
const STABLE_AFTER_MS = 30_000;

/** A message a child sent over IPC. */
export type ChildMessageHandler = (name: string, message: unknown) => void;

/** Called once when a child reached the start limit: its name and the last line it wrote to stderr. */
export type GiveUpHandler = (name: string, lastError: string | null) => void;

/** The one message every child sends when it serves: `process.send?.(READY_MESSAGE)`. */
export const READY_MESSAGE = { type: 'ready' } as const;

export interface SupervisorOptions {
  /** Consecutive exits before ready that make the supervisor give up (config: START_LIMIT). */
  readonly startLimit: number;
  /** How long a stopped child may take to exit before SIGKILL: its own SHUTDOWN_GRACE_MS plus a margin. */
  readonly stopGraceMs: number;
  readonly env?: NodeJS.ProcessEnv;
}

interface Child {
  readonly name: string;
  readonly entry: string;
  readonly args: readonly string[];
  process: ChildProcess | null;
  restarts: number;
  /** Exits in a row before the child reported ready. */
  failedStarts: number;
  lastError: string | null;
  stopping: boolean;
}

export class Supervisor {
  private readonly children = new Set<Child>();
  private readonly messageHandlers: ChildMessageHandler[] = [];
  private giveUpHandler: GiveUpHandler | null = null;
  private givenUp = false;
  /** Set by stopAll: a child spawned after it began would be left running when this process exits. */
  private stoppingAll = false;

  constructor(private readonly logger: Logger, private readonly options: SupervisorOptions) {}

  /** Receives every IPC message of every child. */
  onMessage(handler: ChildMessageHandler): void {
    this.messageHandlers.push(handler);
  }

  /** Receives the child that could not start; no child is restarted after it. */
  onGiveUp(handler: GiveUpHandler): void {
    this.giveUpHandler = handler;
  }

  /** Stops the named child for good (scaling down): SIGTERM, so it finishes or returns in-flight work. */
  async stop(name: string, graceMs = this.options.stopGraceMs): Promise<void> {
    const child = [...this.children].find((candidate) => candidate.name === name);
    if (!child) return;
    this.children.delete(child);
    await this.stopChild(child, graceMs);
  }

  spawn(name: string, entry: string, args: readonly string[]): void {
    if (this.stoppingAll) {
      this.logger.info('process not started: stopping all', { name });
      return;
    }
    const child: Child = { name, entry, args, process: null, restarts: 0, failedStarts: 0, lastError: null, stopping: false };
    this.children.add(child);
    this.launch(child);
  }

  /** SIGTERM to every child, SIGKILL to those still running after `graceMs`; no child starts after. */
  async stopAll(graceMs = this.options.stopGraceMs): Promise<void> {
    this.stoppingAll = true;
    await Promise.all([...this.children].map((child) => this.stopChild(child, graceMs)));
  }

  private launch(child: Child): void {
    const started = Date.now();
    let ready = false;
    const proc = spawn(process.execPath, [...nodeArgs(child.entry), ...child.args], {
      cwd: PROJECT_ROOT, env: this.options.env ?? process.env, stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    });
    child.process = proc;
    this.passStderr(child, proc);
    proc.on('message', (message) => {
      if (isReady(message)) { ready = true; child.failedStarts = 0; return; }
      for (const handler of this.messageHandlers) handler(child.name, message);
    });
    this.logger.info('process started', { name: child.name, pid: proc.pid });
    proc.on('exit', (code, signal) => {
      child.process = null;
      if (child.stopping || this.givenUp) return;
      if (!ready) child.failedStarts += 1;
      if (child.failedStarts >= this.options.startLimit) return this.giveUp(child);
      // A process that ran for a while gets a fresh back-off; one that crashes at once waits longer each time.
      if (Date.now() - started > STABLE_AFTER_MS) child.restarts = 0;
      const delay = Math.min(RESTART_FIRST_DELAY_MS * 2 ** child.restarts, RESTART_MAX_DELAY_MS);
      child.restarts += 1;
      this.logger.warn('process exited; restarting', { name: child.name, code, signal, delayMs: delay, failedStarts: child.failedStarts });
      setTimeout(() => { if (!child.stopping && !this.givenUp) this.launch(child); }, delay);
    });
  }

  /** Copies the child's stderr through, remembering its last non-empty line (its fatal error, usually). */
  private passStderr(child: Child, proc: ChildProcess): void {
    let partial = '';
    proc.stderr?.on('data', (chunk: Buffer) => {
      process.stderr.write(chunk);
      const lines = (partial + chunk.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      const last = lines.reverse().find((line) => line.trim() !== '');
      if (last !== undefined) child.lastError = last;
    });
    proc.stderr?.on('end', () => { if (partial.trim() !== '') child.lastError = partial; });
  }

  private giveUp(child: Child): void {
    this.givenUp = true;
    this.logger.error('process failed at start-up too often; giving up', {
      name: child.name, failedStarts: child.failedStarts, hint: 'fix the error below (START_LIMIT)',
    });
    this.giveUpHandler?.(child.name, child.lastError);
  }

  private async stopChild(child: Child, graceMs: number): Promise<void> {
    child.stopping = true;
    const proc = child.process;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }
}

function isReady(message: unknown): boolean {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === READY_MESSAGE.type;
}
