/** Resolvers of the observability fields: Job.traceUrl and the `queues` query. */
import type { Job } from '../../schema/domain.ts';
import { readScalingStatus, type StageScalingStatus } from '../../supervisor/scaling-status.ts';
import { requireRole } from '../auth/authorize.ts';
import type { GatewayContext } from '../context.ts';
import { ErrorCode, apiError, readFromBroker } from '../errors.ts';

export const jobObservabilityResolvers = {
  traceUrl: (job: Job, _: unknown, { services }: GatewayContext) => {
    const base = services.observability?.jaegerUiUrl;
    return base && job.traceId ? `${base}/trace/${job.traceId}` : null;
  },
};

export const observabilityQueryResolvers = {
  // Queue statistics describe every tenant's load: admin only.
  queues: async (_: unknown, _args: unknown, context: GatewayContext) => {
    requireRole(context, 'admin');
    const { services } = context;
    if (!services.observability) throw apiError(ErrorCode.UNAVAILABLE, 'queue statistics are not available in this gateway');
    const [queues, status] = await Promise.all([
      readFromBroker(services.observability.queues.read()),
      readScalingStatus(services.observability.dataDir).catch(() => null),
    ]);
    return queues.map((queue) => ({ ...queue, scaling: scalingOf(status?.stages[queue.stage]) }));
  },
};

/** The supervisor's status of one stage, as the StageScaling type shows it. */
function scalingOf(status: StageScalingStatus | undefined) {
  if (!status) return null;
  const decision = status.lastDecision;
  return {
    workers: status.workers,
    minWorkers: status.minWorkers,
    maxWorkers: status.maxWorkers,
    utilisation: status.utilisation,
    lastDecision: decision ? `${decision.from} → ${decision.to}: ${decision.reason}` : null,
    lastDecisionAt: decision ? new Date(decision.at) : null,
  };
}
