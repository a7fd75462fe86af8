/** All resolvers, with the scalars from graphql-scalars. */
import { DateTimeResolver, JSONResolver } from 'graphql-scalars';
import type { DocumentRecord } from '../../schema/domain.ts';
import { mutationResolvers } from './mutation-resolvers.ts';
import { jobObservabilityResolvers, observabilityQueryResolvers } from './observability-resolvers.ts';
import { queryResolvers } from './query-resolvers.ts';
import { reliabilityMutations, reliabilityQueries } from './reliability-resolvers.ts';
import { subscriptionResolvers } from './subscription-resolvers.ts';

export const resolvers = {
  JSON: JSONResolver,
  DateTime: DateTimeResolver,
  Query: { ...queryResolvers, ...observabilityQueryResolvers, ...reliabilityQueries },
  Mutation: { ...mutationResolvers, ...reliabilityMutations },
  Subscription: subscriptionResolvers,
  Job: jobObservabilityResolvers,
  Document: {
    metadata: (document: DocumentRecord) => document.metadata,
  },
};
