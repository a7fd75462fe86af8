/** Option parsers for commander that name the flag in their error. */
import { InvalidArgumentError } from 'commander';

/** Parses a positive integer, e.g. for --batch-size. */
export function positiveInt(flag: string): (value: string) => number {
  return (value) => {
    const number = Number(value);
    if (!Number.isInteger(number) || number < 1) throw new InvalidArgumentError(`${flag} must be a whole number of at least 1, got "${value}"`);
    return number;
  };
}

/** Parses a number from 0 to 1, e.g. for --lexical-weight. */
export function fraction(flag: string): (value: string) => number {
  return (value) => {
    const number = Number(value);
    if (value.trim() === '' || !Number.isFinite(number) || number < 0 || number > 1) throw new InvalidArgumentError(`${flag} must be a number from 0 to 1, got "${value}"`);
    return number;
  };
}

/** Parses a JSON object, e.g. for --filter. */
export function jsonObject(flag: string): (value: string) => Record<string, unknown> {
  return (value) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch (error) {
      throw new InvalidArgumentError(`${flag} must be JSON, e.g. '{"lang":"en"}': ${(error as Error).message}`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new InvalidArgumentError(`${flag} must be a JSON object, e.g. '{"lang":"en"}'`);
    }
    return parsed as Record<string, unknown>;
  };
}

/** Parses one of a few words, case-insensitively, e.g. --mode lexical; returns it upper-case. */
export function oneOf<T extends string>(flag: string, choices: readonly T[]): (value: string) => T {
  return (value) => {
    const upper = value.toUpperCase() as T;
    if (!choices.includes(upper)) throw new InvalidArgumentError(`${flag} must be one of ${choices.map((c) => c.toLowerCase()).join(', ')}, got "${value}"`);
    return upper;
  };
}
