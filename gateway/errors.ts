/**
 * GraphQL error codes: every error a client sees carries one of these in `extensions.code`.
 */
import { GraphQLError } from 'graphql';
import { BrokerBlockedError, BrokerRejectedError, BrokerUnavailableError } from '../messaging/broker-errors.ts';

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
  /** A per-connection or per-key allowance is used up (`extensions.limit` names the setting). */
  LIMIT_EXCEEDED: 'LIMIT_EXCEEDED',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export function apiError(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { code, ...extensions } });
}

/** A bad argument: the message names the field and the limit. */
export function badInput(field: string, message: string): GraphQLError {
  return apiError(ErrorCode.BAD_USER_INPUT, `${field}: ${message}`, { field });
}

/**
 * The API error for a failed broker publish, or null when the error is not the broker's:
 * a blocked broker or a full queue is BACKPRESSURE, an unreachable one UNAVAILABLE.
 * `outcome` completes the UNAVAILABLE message ("nothing was lost", "nothing was changed").
 */
export function brokerApiError(error: unknown, outcome: string, extensions: Record<string, unknown> = {}): GraphQLError | null {
  if (error instanceof BrokerBlockedError || error instanceof BrokerRejectedError) {
    return apiError(ErrorCode.BACKPRESSURE, error.message, { retryAfterSeconds: error.retryAfterSeconds, ...extensions });
  }
  if (error instanceof BrokerUnavailableError) {
    return apiError(ErrorCode.UNAVAILABLE, `${error.message}; ${outcome}: retry later`, { retryAfterSeconds: 5, ...extensions });
  }
  return null;
}
