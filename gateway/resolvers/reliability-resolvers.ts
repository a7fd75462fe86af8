/** Resolvers for dead letters and retries: system-wide operations (issue 3). */
import type { JobStatus, Stage } from '../../schema/domain.ts';
import type { GatewayContext } from '../context.ts';
import { badInput } from '../errors.ts';

const MAX_PAGE = 100;

/**
 * ADMIN CHECK — the single place where system-wide operations (dead letters, replays, bulk
 * retries) are authorized. Today every caller may; the API-key work makes this require the
 * `admin` role (throw FORBIDDEN otherwise). The system-wide resolvers below call it first;
 * retryJob acts on one job and needs the same collection check as cancelJob instead.
 */
function requireSystemAccess(_context: GatewayContext): void {}

export const reliabilityQueries = {
  async deadLetters(_: unknown, args: { stage?: Stage | null; first?: number | null }, context: GatewayContext) {
    requireSystemAccess(context);
    const first = args.first ?? 20;
    if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE) throw badInput('first', `must be in 1..${MAX_PAGE}, got ${first}`);
    return context.services.deadLetters.list(args.stage ?? undefined, first);
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
    return context.services.retry.retryJob(args.id);
  },

  async retryJobs(_: unknown, args: { collection?: string | null; status?: JobStatus | null }, context: GatewayContext) {
    requireSystemAccess(context);
    return context.services.retry.retryJobs(args.collection ?? undefined, args.status ?? undefined);
  },
};
