/** The `first` argument of every list field (jobs, deadLetters): one default and one limit. */
import { badInput } from '../errors.ts';

/** Most items one page may hold. */
export const MAX_PAGE = 100;
/** Items per page when `first` is null; schema.graphql declares the same default for an omitted `first`. */
const DEFAULT_PAGE = 20;

/** The page size asked for, or BAD_USER_INPUT naming `first` and its range. */
export function pageSize(first: number | null | undefined): number {
  const size = first ?? DEFAULT_PAGE;
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE) throw badInput('first', `must be in 1..${MAX_PAGE}, got ${size}`);
  return size;
}
