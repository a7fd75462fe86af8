/** Printing helpers shared by the commands: JSON, aligned tables, error lines. */
import type { Writable } from 'node:stream';

/** Where a command writes; tests and the real process pass their own streams. */
export interface Output {
  readonly stdout: Writable & { isTTY?: boolean };
  readonly stderr: Writable;
}

/** Exit codes of the CLI. */
export const ExitCode = {
  OK: 0,
  /** A job failed, a request failed, or the command line was wrong. */
  FAILURE: 1,
  /** The gateway does not offer what the command needs (e.g. queue statistics). */
  UNSUPPORTED: 2,
  /** Interrupted with Ctrl-C (128 + SIGINT). */
  INTERRUPTED: 130,
} as const;

export function printJson(output: Output, value: unknown): void {
  output.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function printLine(output: Output, line = ''): void {
  output.stdout.write(`${line}\n`);
}

/** Columns padded to their widest cell; the last column is not padded. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [header, ...rows];
  const widths = header.map((_, column) => Math.max(...all.map((row) => (row[column] ?? '').length)));
  return all
    .map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0))).join('  ').trimEnd())
    .join('\n');
}

/** Shortens text to one line of at most `max` characters. */
export function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}
