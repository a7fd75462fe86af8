/**
 * Authorization checks for resolvers: the one place that decides what a key may do.
 *
 * | role     | may                                                                          |
 * | -------- | ---------------------------------------------------------------------------- |
 * | `ingest` | ingest mutations, cancelJob, deleteDocument, read jobs, in its collections    |
 * | `search` | search, document, read jobs, in its collections                               |
 * | `admin`  | everything, in every collection, plus system-wide operations                  |
 *
 * A missing or unknown key is UNAUTHENTICATED; a role or collection the key lacks is FORBIDDEN.
 * Lists are filtered to `visibleCollections`, and a single object of a collection the key cannot
 * see is reported as missing, so its existence does not leak.
 */
import { ErrorCode, apiError } from '../errors.ts';
import type { Role } from './api-keys.ts';
import type { Principal } from './principal.ts';

/** What the checks need from a resolver's context. */
export interface AuthContext {
  /** null: keys are configured and the request presented none, or an unknown one. */
  readonly principal: Principal | null;
}

/** The caller, or UNAUTHENTICATED. */
export function requirePrincipal(context: AuthContext): Principal {
  if (!context.principal) {
    throw apiError(ErrorCode.UNAUTHENTICATED, 'a valid API key is required: send "Authorization: Bearer <key>"');
  }
  return context.principal;
}

/** True when the caller holds `role` (admin holds every role). */
function hasRole(principal: Principal, role: Role): boolean {
  return principal.roles.includes('admin') || principal.roles.includes(role);
}

/** Throws unless the caller holds `role`; for operations that are not about one collection. */
export function requireRole(context: AuthContext, role: Role): Principal {
  const principal = requirePrincipal(context);
  if (!hasRole(principal, role)) {
    throw apiError(ErrorCode.FORBIDDEN, `API key "${principal.name}" lacks the ${role} role`, { role });
  }
  return principal;
}

/** True when the caller may see `collection` at all (any role there). */
export function canSee(context: AuthContext, collection: string): boolean {
  const principal = context.principal;
  if (!principal) return false;
  return principal.roles.includes('admin') || principal.collections === '*' || principal.collections.includes(collection);
}

/** Throws unless the caller holds `role` on `collection`. */
export function requireCollection(context: AuthContext, collection: string, role: Role): Principal {
  const principal = requireRole(context, role);
  if (!canSee(context, collection)) {
    throw apiError(ErrorCode.FORBIDDEN, `API key "${principal.name}" may not use collection "${collection}"`, { collection });
  }
  return principal;
}

/**
 * The collections the caller may see, for filtering lists (`JobQuery.collections`):
 * undefined means all. Throws UNAUTHENTICATED without a caller.
 */
export function visibleCollections(context: AuthContext): readonly string[] | undefined {
  const principal = requirePrincipal(context);
  if (principal.roles.includes('admin') || principal.collections === '*') return undefined;
  return principal.collections;
}

/** Throws FORBIDDEN unless the caller may see `collection` (any role there). */
export function requireVisible(context: AuthContext, collection: string): Principal {
  const principal = requirePrincipal(context);
  if (!canSee(context, collection)) {
    throw apiError(ErrorCode.FORBIDDEN, `API key "${principal.name}" may not use collection "${collection}"`, { collection });
  }
  return principal;
}
