/** Query resolvers: jobs, documents and search, read straight from the store. */
import { JOB_STATUSES, type JobStatus } from '../../schema/domain.ts';
import { timedSearch } from '../../observability/metrics.ts';
import type { GatewayContext } from '../context.ts';
import { badInput } from '../errors.ts';

const MAX_PAGE = 100;

export const queryResolvers = {
  job: (_: unknown, args: { id: string }, { services }: GatewayContext) => services.store.getJob(args.id),

  async jobs(_: unknown, args: { collection?: string | null; status?: JobStatus | null; first?: number | null; after?: string | null }, { services }: GatewayContext) {
    const first = args.first ?? 20;
    if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE) throw badInput('first', `must be in 1..${MAX_PAGE}, got ${first}`);
    if (args.status && !JOB_STATUSES.includes(args.status)) throw badInput('status', 'unknown status');
    const page = await services.store.listJobs({
      first,
      ...(args.collection ? { collection: args.collection } : {}),
      ...(args.status ? { status: args.status } : {}),
      ...(args.after ? { after: args.after } : {}),
    });
    return {
      edges: page.jobs.map(({ job, cursor }) => ({ cursor, node: job })),
      pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.jobs.at(-1)?.cursor ?? null },
    };
  },

  document: (_: unknown, args: { id: string }, { services }: GatewayContext) => services.store.getDocument(args.id),

  search: (_: unknown, args: { collection: string; query: string; k?: number | null; filter?: unknown }, { services }: GatewayContext) =>
    timedSearch(args.collection, () => services.search.search(args.collection, args.query, args.k ?? 5, args.filter)),
};
