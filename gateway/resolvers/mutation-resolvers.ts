/** Mutation resolvers: validate every input first, then accept (record + publish with confirm). */
import type { GatewayContext } from '../context.ts';
import { badInput } from '../errors.ts';
import { planIngest, type IngestInput } from '../ingest/ingest-plan.ts';

export const mutationResolvers = {
  async ingestDocument(_: unknown, args: { input: IngestInput }, { services }: GatewayContext) {
    const plan = planIngest(args.input, services.limits, 'input');
    const [job] = await services.ingest.ingest([plan]);
    return job;
  },

  async ingestDocuments(_: unknown, args: { inputs: IngestInput[] }, { services }: GatewayContext) {
    const { maxBatchDocuments } = services.limits;
    if (args.inputs.length === 0) throw badInput('inputs', 'must hold at least one document');
    if (args.inputs.length > maxBatchDocuments) {
      throw badInput('inputs', `holds ${args.inputs.length} documents; the limit is ${maxBatchDocuments} (MAX_BATCH_DOCUMENTS)`);
    }
    const plans = args.inputs.map((input, index) => planIngest(input, services.limits, `inputs.${index}`));
    return services.ingest.ingest(plans);
  },

  cancelJob: (_: unknown, args: { id: string }, { services }: GatewayContext) => services.ingest.cancel(args.id),
};
