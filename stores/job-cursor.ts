/**
 * Cursors of the job list, shared by every store: a job's position in the newest-first order
 * (created at, then id), opaque to clients as base64url.
 */
import { ContractError } from '../schema/contract-error.ts';
import type { Job } from '../schema/domain.ts';

/** Position of a job in the newest-first order: (createdAt, id). */
export interface JobCursor {
  readonly createdAt: number;
  readonly id: string;
}

export function encodeJobCursor(job: Job): string {
  return Buffer.from(JSON.stringify([job.createdAt.getTime(), job.id])).toString('base64url');
}

/** Parses a cursor from `encodeJobCursor`; throws a ContractError naming `after` when it is not one. */
export function decodeJobCursor(cursor: string): JobCursor {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    value = undefined;
  }
  if (Array.isArray(value) && value.length === 2 && Number.isSafeInteger(value[0]) && typeof value[1] === 'string') {
    return { createdAt: value[0] as number, id: value[1] };
  }
  throw new ContractError('after', 'not a cursor returned by a previous page (pass endCursor unchanged)');
}
