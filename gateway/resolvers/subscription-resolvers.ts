/** Subscription resolvers: live job events over graphql-ws, within the caller's collections. */
import type { JobEvent } from '../../schema/messages/job-event.ts';
import { canSee, requirePrincipal, requireVisible } from '../auth/authorize.ts';
import type { GatewayContext } from '../context.ts';
import { ErrorCode, apiError } from '../errors.ts';

export const subscriptionResolvers = {
  jobProgress: {
    subscribe: (_: unknown, args: { id: string }, context: GatewayContext) => {
      requirePrincipal(context);
      // Another collection's job is reported exactly like a missing one.
      return context.services.hub.jobProgress(args.id, (collection) => {
        if (!canSee(context, collection)) throw apiError(ErrorCode.NOT_FOUND, `job ${args.id} does not exist`);
      });
    },
    resolve: (event: JobEvent) => event,
  },
  jobEvents: {
    subscribe: (_: unknown, args: { collection?: string | null }, context: GatewayContext) => {
      requirePrincipal(context);
      if (args.collection) {
        requireVisible(context, args.collection);
        return context.services.hub.allEvents((event) => event.job.collection === args.collection);
      }
      return context.services.hub.allEvents((event) => canSee(context, event.job.collection));
    },
    resolve: (event: JobEvent) => event,
  },
};
