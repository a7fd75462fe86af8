/**
 * GraphQL errors the gateway raises: each carries a code of the one ErrorCode enum
 * (schema/error-code.ts) in `extensions.code`.
 */
import { GraphQLError } from 'graphql';
import { ContractError } from '../schema/contract-error.ts';
import { ErrorCode } from '../schema/error-code.ts';
import { BrokerBlockedError, BrokerRejectedError, BrokerUnavailableError } from '../messaging/broker-errors.ts';

export { ErrorCode };

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

/** A read from the broker (queue statistics, dead letters), its failure as brokerApiError's. */
export async function readFromBroker<T>(read: Promise<T>): Promise<T> {
  try {
    return await read;
  } catch (error) {
    throw brokerApiError(error, 'nothing was read') ?? error;
  }
}
