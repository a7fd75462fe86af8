/**
 * GraphQL error codes: every error a client sees carries one of these in `extensions.code`
 * (Apollo's own validation codes, such as GRAPHQL_VALIDATION_FAILED, aside).
 */
import { GraphQLError } from 'graphql';
import { ContractError } from '../schema/contract-error.ts';
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
  /** The HTTP request itself is unreadable (not JSON). */
  BAD_REQUEST: 'BAD_REQUEST',
  /** The HTTP body exceeds MAX_BODY_BYTES. */
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  /** A fault of the system, not of the request; details only in the log. */
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
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
 * Runs a check written in schema/ terms: a ContractError (a client's argument breaking its
 * rule) becomes BAD_USER_INPUT naming the field; anything else passes through.
 */
export function checkArgument<T>(check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof ContractError) throw apiError(ErrorCode.BAD_USER_INPUT, error.message, { field: error.field });
    throw error;
  }
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
