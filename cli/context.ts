/** What every command receives from the entry point: streams, environment, working folder, Ctrl-C. */
import type { Command } from 'commander';
import { resolveConnection, type Connection, type ConnectionOptions } from './connection.ts';
import type { Output } from './output.ts';

/** The process around a command, passed down from cli/main.ts (the only reader of process.*). */
export interface CliContext extends Output {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /**
   * A signal aborted on the first Ctrl-C. Only commands that watch ask for it; until one does,
   * Ctrl-C keeps its default effect (the process ends at once).
   */
  interrupted(): AbortSignal;
}

/** The connection from the global --url / --api-key and the environment. */
export function connectionOf(command: Command, context: CliContext): Connection {
  return resolveConnection(command.optsWithGlobals<ConnectionOptions>(), context.env);
}
