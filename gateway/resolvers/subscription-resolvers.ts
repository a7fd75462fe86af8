/** Subscription resolvers: live job events over graphql-ws. */
import type { JobEvent } from '../../schema/messages/job-event.ts';
import type { GatewayContext } from '../context.ts';

export const subscriptionResolvers = {
  jobProgress: {
    subscribe: (_: unknown, args: { id: string }, { services }: GatewayContext) => services.hub.jobProgress(args.id),
    resolve: (event: JobEvent) => event,
  },
  jobEvents: {
    subscribe: (_: unknown, args: { collection?: string | null }, { services }: GatewayContext) =>
      services.hub.allEvents((event) => !args.collection || event.job.collection === args.collection),
    resolve: (event: JobEvent) => event,
  },
};
