/**
 * Error masking for production (MASK_ERRORS): errors the API raised on purpose (GraphQLErrors
 * with a code: BAD_USER_INPUT, FORBIDDEN, validation failures, …) reach the client as they are;
 * anything else (a bug, a driver error) becomes "internal error" with a request id, and the
 * details go to the log under that id. Stack traces are never sent when masking.
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

/** Apollo's formatError, masking when `mask` is set. */
export function apolloFormatError(mask: boolean, logger: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError =>
    mask ? maskError(formatted, error, logger) : formatted;
}

/** graphql-ws: masks the errors of one result (`onNext`). */
export function maskResultErrors<R extends { errors?: readonly GraphQLError[] }>(result: R, mask: boolean, logger: Logger): R {
  if (!mask || !result.errors?.length) return result;
  const errors = result.errors.map((error) => {
    const formatted = maskError(error.toJSON(), error, logger);
    return new GraphQLError(formatted.message, { ...(error.path ? { path: error.path } : {}), extensions: formatted.extensions ?? {} });
  });
  return { ...result, errors };
}
