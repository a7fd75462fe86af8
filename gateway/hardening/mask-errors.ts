/**
 * Error masking for production (MASK_ERRORS): errors the API raised on purpose (GraphQLErrors
 * with a code: BAD_USER_INPUT, FORBIDDEN, validation failures, …) reach the client as they are;
 * anything else (a bug, a driver error) becomes "internal error" with a request id, and the
 * details go to the log under that id. Stack traces are never sent when masking. Where the schema
 * is private, schema suggestions are removed from messages too. Both apply over HTTP and WebSocket.
 */
import { randomUUID } from 'node:crypto';
import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { Logger } from '../../observability/logger.ts';
import { ErrorCode } from '../errors.ts';

/** True when the error was raised on purpose for the client to see. */
function isUserFacing(error: unknown): boolean {
  const original = unwrapResolverError(error);
  return original instanceof GraphQLError && (original.originalError === undefined || original.originalError instanceof GraphQLError);
}

/** Masks one formatted error if it is internal; logs what was hidden. */
export function maskError(formatted: GraphQLFormattedError, error: unknown, logger: Logger): GraphQLFormattedError {
  const code = formatted.extensions?.code;
  if (isUserFacing(error) && code !== ErrorCode.INTERNAL_SERVER_ERROR) {
    const { stacktrace: _stacktrace, ...extensions } = formatted.extensions ?? {};
    return { ...formatted, extensions };
  }
  const requestId = randomUUID();
  const original = unwrapResolverError(error);
  logger.error('internal error', {
    requestId,
    path: formatted.path?.join('.'),
    error: original instanceof Error ? original.message : String(original),
    stack: original instanceof Error ? original.stack : undefined,
  });
  return {
    message: `internal error (request id ${requestId})`,
    ...(formatted.path ? { path: formatted.path } : {}),
    extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR, requestId },
  };
}

/** How errors reach clients, on every transport. */
export interface ErrorPolicy {
  /** MASK_ERRORS: internal errors become "internal error (request id …)". */
  readonly maskErrors: boolean;
  /** True where introspection is off: graphql-js's "Did you mean …" would reveal the schema anyway. */
  readonly hideSuggestions: boolean;
}

/** graphql-js's suggestion sentence: `Did you mean "job" or "jobs"?`, `Did you mean the enum value "HIGH"?`. */
const SUGGESTION = /\s*Did you mean [^?]*\?/g;

/** One error as a client sees it under `policy`. */
export function formatForClient(formatted: GraphQLFormattedError, error: unknown, policy: ErrorPolicy, logger: Logger): GraphQLFormattedError {
  const shown = policy.maskErrors ? maskError(formatted, error, logger) : formatted;
  return policy.hideSuggestions ? { ...shown, message: shown.message.replace(SUGGESTION, '') } : shown;
}

/** Apollo's formatError. */
export function apolloFormatError(policy: ErrorPolicy, logger: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => formatForClient(formatted, error, policy, logger);
}

/** graphql-ws: the errors of one result (`onNext`). */
export function formatResultErrors<R extends { errors?: readonly GraphQLError[] }>(result: R, policy: ErrorPolicy, logger: Logger): R {
  if (!result.errors?.length) return result;
  const errors = result.errors.map((error) => {
    const formatted = formatForClient(error.toJSON(), error, policy, logger);
    return new GraphQLError(formatted.message, { ...(error.path ? { path: error.path } : {}), extensions: formatted.extensions ?? {} });
  });
  return { ...result, errors };
}
