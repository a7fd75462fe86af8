/** Resolvers for dead letters and retries: system-wide operations (issue 3). */
import type { JobStatus, Stage } from '../../schema/domain.ts';
import type { GatewayContext } from '../context.ts';
import { MAX_PAGE, pageSize } from './page-size.ts';
import { canSee, requireCollection, requirePrincipal, requireRole, visibleCollections } from '../auth/authorize.ts';
import { ErrorCode, apiError, badInput, readFromBroker } from '../errors.ts';

/**
 * System-wide operations (replays, bulk retries) need the admin role. Listing dead letters is
 * open to every key but filtered to its collections; retryJob acts on one job and is checked like
 * cancelJob.
 */
function requireSystemAccess(context: GatewayContext): void {
  requireRole(context, 'admin');
}

export const reliabilityQueries = {
  async deadLetters(_: unknown, args: { stage?: Stage | null; first?: number | null }, context: GatewayContext) {
    requirePrincipal(context);
    const first = pageSize(args.first);
    if (visibleCollections(context) === undefined) return readFromBroker(context.services.deadLetters.list(args.stage ?? undefined, first));
    // Filtered, not refused: a key sees the dead letters of its own collections only.
    const all = await readFromBroker(context.services.deadLetters.list(args.stage ?? undefined, MAX_PAGE));
    return all.filter((letter) => letter.collection !== null && canSee(context, letter.collection)).slice(0, first);
  },
};

export const reliabilityMutations = {
  async replayDeadLetters(_: unknown, args: { stage?: Stage | null; jobIds?: string[] | null; limit?: number | null }, context: GatewayContext) {
    requireSystemAccess(context);
    if (args.limit !== null && args.limit !== undefined && (!Number.isInteger(args.limit) || args.limit < 1)) {
      throw badInput('limit', `must be a positive integer, got ${args.limit}`);
    }
    return context.services.retry.replayDeadLetters({
      ...(args.stage ? { stage: args.stage } : {}),
      ...(args.jobIds ? { jobIds: args.jobIds } : {}),
      ...(args.limit ? { limit: args.limit } : {}),
    });
  },

  async retryJob(_: unknown, args: { id: string }, context: GatewayContext) {
    requirePrincipal(context);
    const job = await context.services.store.getJob(args.id);
    if (!job || !canSee(context, job.collection)) throw apiError(ErrorCode.NOT_FOUND, `job ${args.id} does not exist`);
    requireCollection(context, job.collection, 'ingest');
    return context.services.retry.retryJob(args.id);
  },

  async retryJobs(_: unknown, args: { collection?: string | null; status?: JobStatus | null }, context: GatewayContext) {
    requireSystemAccess(context);
    return context.services.retry.retryJobs(args.collection ?? undefined, args.status ?? undefined);
  },
};
