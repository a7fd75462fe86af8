/** Mutation resolvers: authorize and validate every input first, then accept (record + publish with confirm). */
import { canSee, requireCollection, requirePrincipal, requireRole } from '../auth/authorize.ts';
import type { GatewayContext } from '../context.ts';
import { ErrorCode, apiError, badInput } from '../errors.ts';
import { planIngest, type IngestInput } from '../ingest/ingest-plan.ts';

export const mutationResolvers = {
  async ingestDocument(_: unknown, args: { input: IngestInput }, context: GatewayContext) {
    requireCollection(context, args.input.collection, 'ingest');
    const plan = planIngest(args.input, context.services.limits, 'input');
    const [job] = await context.services.ingest.ingest([plan]);
    return job;
  },

  async ingestDocuments(_: unknown, args: { inputs: IngestInput[] }, context: GatewayContext) {
    const { services } = context;
    const { maxBatchDocuments } = services.limits;
    requireRole(context, 'ingest');
    if (args.inputs.length === 0) throw badInput('inputs', 'must hold at least one document');
    if (args.inputs.length > maxBatchDocuments) {
      throw badInput('inputs', `holds ${args.inputs.length} documents; the limit is ${maxBatchDocuments} (MAX_BATCH_DOCUMENTS)`);
    }
    // All or nothing: one collection the key may not use refuses the whole batch.
    for (const input of args.inputs) requireCollection(context, input.collection, 'ingest');
    const plans = args.inputs.map((input, index) => planIngest(input, services.limits, `inputs.${index}`));
    return services.ingest.ingest(plans);
  },

  async cancelJob(_: unknown, args: { id: string }, context: GatewayContext) {
    requirePrincipal(context);
    const job = await context.services.store.getJob(args.id);
    if (!job || !canSee(context, job.collection)) throw apiError(ErrorCode.NOT_FOUND, `job ${args.id} does not exist`);
    requireCollection(context, job.collection, 'ingest');
    return context.services.ingest.cancel(args.id);
  },

  async deleteDocument(_: unknown, args: { collection: string; id: string }, context: GatewayContext) {
    // Decided by the key alone, before any lookup; the deletion touches only this collection.
    requireCollection(context, args.collection, 'ingest');
    return context.services.deletion.deleteDocument(args.collection, args.id);
  },

  async deleteCollection(_: unknown, args: { name: string }, context: GatewayContext) {
    requireRole(context, 'admin');
    return context.services.deletion.deleteCollection(args.name);
  },
};
