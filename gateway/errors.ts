/**
 * GraphQL error codes: every error a client sees carries one of these in `extensions.code`.
 */
import { GraphQLError } from 'graphql';

export const ErrorCode = {
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  NOT_FOUND: 'NOT_FOUND',
  /** The system is saturated (queue full, broker alarm): retry after `extensions.retryAfterSeconds`. */
  BACKPRESSURE: 'BACKPRESSURE',
  /** The broker cannot be reached: nothing was accepted. */
  UNAVAILABLE: 'UNAVAILABLE',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  CONFLICT: 'CONFLICT',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export function apiError(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { code, ...extensions } });
}

/** A bad argument: the message names the field and the limit. */
export function badInput(field: string, message: string): GraphQLError {
  return apiError(ErrorCode.BAD_USER_INPUT, `${field}: ${message}`, { field });
}
