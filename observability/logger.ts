/**
 * Structured logging: one JSON object per line on stderr, so logs of several processes
 * can be merged and filtered. Level from LOG_LEVEL (read by each entry point).
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export function createLogger(service: string, level: LogLevel = 'info', base: Record<string, unknown> = {}): Logger {
  return new JsonLogger(service, ORDER[level], base);
}

/**
 * A class, not an object of closures: the actor runtime makes a child logger for every delivery,
 * and a child is then one small object whose fields merge only when a line is written.
 */
class JsonLogger implements Logger {
  constructor(
    private readonly service: string,
    private readonly threshold: number,
    private readonly base: Record<string, unknown>,
    private readonly parent: JsonLogger | null = null,
  ) {}

  debug(message: string, fields?: Record<string, unknown>): void { this.write('debug', message, fields); }
  info(message: string, fields?: Record<string, unknown>): void { this.write('info', message, fields); }
  warn(message: string, fields?: Record<string, unknown>): void { this.write('warn', message, fields); }
  error(message: string, fields?: Record<string, unknown>): void { this.write('error', message, fields); }

  child(fields: Record<string, unknown>): Logger {
    return new JsonLogger(this.service, this.threshold, fields, this);
  }

  private write(at: Exclude<LogLevel, 'silent'>, message: string, fields?: Record<string, unknown>): void {
    if (ORDER[at] < this.threshold) return;
    process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level: at, service: this.service, message, ...this.fields(), ...fields })}\n`);
  }

  /** This logger's fields after its parents', a child's winning. */
  private fields(): Record<string, unknown> {
    return this.parent === null ? this.base : { ...this.parent.fields(), ...this.base };
  }
}

/** A logger that prints nothing: the default in tests. */
export const silentLogger: Logger = createLogger('silent', 'silent');
