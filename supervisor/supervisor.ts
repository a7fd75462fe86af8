/**
 * Keeps child processes alive: each is a Node process running a TypeScript entry point through
 * tsx; one that exits unexpectedly is restarted with back-off. Children inherit the environment
 * (so they read the same configuration) and stdout/stderr, plus an IPC channel on which actor
 * workers report their utilisation (see services/actor-main.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Logger } from '../observability/logger.ts';
import { nodeArgs, PROJECT_ROOT } from './node-command.ts';

/** A message a child sent over IPC. */
export type ChildMessageHandler = (name: string, message: unknown) => void;

interface Child {
  readonly name: string;
  readonly entry: string;
  readonly args: readonly string[];
  process: ChildProcess | null;
  restarts: number;
  stopping: boolean;
}

export class Supervisor {
  private readonly children = new Set<Child>();
  private readonly messageHandlers: ChildMessageHandler[] = [];

  constructor(private readonly logger: Logger, private readonly env: NodeJS.ProcessEnv = process.env) {}

  /** Receives every IPC message of every child. */
  onMessage(handler: ChildMessageHandler): void {
    this.messageHandlers.push(handler);
  }

  /** Stops the named child for good (scaling down): SIGTERM, so it finishes or returns in-flight work. */
  async stop(name: string, graceMs = 15_000): Promise<void> {
    const child = [...this.children].find((candidate) => candidate.name === name);
    if (!child) return;
    this.children.delete(child);
    await this.stopChild(child, graceMs);
  }

  spawn(name: string, entry: string, args: readonly string[]): void {
    const child: Child = { name, entry, args, process: null, restarts: 0, stopping: false };
    this.children.add(child);
    this.launch(child);
  }

  /** SIGTERM to every child, SIGKILL to those still running after `graceMs`. */
  async stopAll(graceMs = 15_000): Promise<void> {
    await Promise.all([...this.children].map((child) => this.stopChild(child, graceMs)));
  }

  private launch(child: Child): void {
    const started = Date.now();
    const proc = spawn(process.execPath, [...nodeArgs(child.entry), ...child.args], {
      cwd: PROJECT_ROOT, env: this.env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child.process = proc;
    proc.on('message', (message) => { for (const handler of this.messageHandlers) handler(child.name, message); });
    this.logger.info('process started', { name: child.name, pid: proc.pid });
    proc.on('exit', (code, signal) => {
      child.process = null;
      if (child.stopping) return;
      // A process that ran for a while gets a fresh back-off; one that crashes at once waits longer each time.
      if (Date.now() - started > 30_000) child.restarts = 0;
      const delay = Math.min(250 * 2 ** child.restarts, 10_000);
      child.restarts += 1;
      this.logger.warn('process exited; restarting', { name: child.name, code, signal, delayMs: delay });
      setTimeout(() => { if (!child.stopping) this.launch(child); }, delay);
    });
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
