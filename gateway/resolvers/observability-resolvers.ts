/** Resolvers of the observability fields: Job.traceUrl and the `queues` query. */
import type { Job } from '../../schema/domain.ts';
import { requireRole } from '../auth/authorize.ts';
import type { GatewayContext } from '../context.ts';
import { ErrorCode, apiError } from '../errors.ts';

export const jobObservabilityResolvers = {
  traceUrl: (job: Job, _: unknown, { services }: GatewayContext) => {
    const base = services.observability?.jaegerUiUrl;
    return base && job.traceId ? `${base}/trace/${job.traceId}` : null;
  },
};

export const observabilityQueryResolvers = {
  // Queue statistics describe every tenant's load: admin only.
  queues: (_: unknown, _args: unknown, context: GatewayContext) => {
    requireRole(context, 'admin');
    const { services } = context;
    if (!services.observability) throw apiError(ErrorCode.UNAVAILABLE, 'queue statistics are not available in this gateway');
    return services.observability.queues.read();
  },
};
