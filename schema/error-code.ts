/**
 * GraphQL error codes: every error a client sees carries one of these in `extensions.code`
 * (Apollo's own validation codes, such as GRAPHQL_VALIDATION_FAILED, aside). Part of the API
 * contract, so the gateway raises them and clients (the CLI, the bench) compare against them.
 */
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
  /** The HTTP request itself is unreadable (not JSON). */
  BAD_REQUEST: 'BAD_REQUEST',
  /** The HTTP body exceeds MAX_BODY_BYTES. */
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  /** A fault of the system, not of the request; details only in the log. */
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];
