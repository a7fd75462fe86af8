/**
 * The synchronous baseline, bench only: the real gateway (same GraphQL server, same validation)
 * whose ingest runs fetch (for a URL), parse, chunk, embed and index inside the mutation, calling
 * the very same actor handlers in turn on the same first message instead of publishing it. What a
 * client sees is what a system without the queue would give it.
 */
import { randomUUID } from 'node:crypto';
import { STAGES, type Job } from '../schema/domain.ts';
import { createLogger } from '../observability/logger.ts';
import { startGateway } from '../gateway/server.ts';
import { firstMessage } from '../gateway/ingest/first-message.ts';
import type { IngestPlan } from '../gateway/ingest/ingest-plan.ts';
import { createEmbedder } from '../config/components.ts';
import { readConfig } from '../config/config.ts';
import type { HandlerContext } from '../messaging/actor-runtime.ts';
import { PermanentError } from '../messaging/errors.ts';
import { onShutdown } from '../supervisor/shutdown.ts';
import { createParsePool, stageActor } from '../services/stage-actors.ts';

// A synchronous system holds every request until its work is done, so here a mutation waits its
// turn however long (MAX_MUTATION_WAIT_MS=0) instead of being refused past a wait: that is what
// the pipeline is compared with.
const config = readConfig({ ...process.env, MAX_MUTATION_WAIT_MS: '0' });
const logger = createLogger('sync-gateway', config.logLevel);
const gateway = await startGateway(config, logger);
const { store } = gateway.services;
const embedder = createEmbedder(config);
// Warmed as the pipeline worker's is before it consumes: parse workers started, parsers loaded.
const parsePool = createParsePool(config, logger);
await parsePool.warm();
const actors = STAGES.map((stage) => stageActor(stage, config, store, embedder, parsePool));

async function ingestSynchronously(plan: IngestPlan): Promise<Job> {
  const job = await store.createJob({ id: randomUUID(), collection: plan.collection, documentId: plan.documentId, priority: plan.priority });
  // The same first message and stage as the pipeline: inline content starts at PARSE.
  const first = firstMessage(plan, { jobId: job.id, collection: job.collection, documentId: job.documentId, priority: job.priority });
  let message: unknown = first.message;
  for (const actor of actors.slice(STAGES.indexOf(first.stage))) {
    const context: HandlerContext = { stage: actor.stage, attempt: 1, signal: new AbortController().signal, logger, progress: async () => {} };
    let result;
    try {
      result = await actor.handle(actor.parse(message), context);
    } catch (error) {
      // As in the pipeline, a document that cannot be indexed fails its job; the mutation still answers.
      if (!(error instanceof PermanentError)) throw error;
      return (await store.updateJob(job.id, { status: 'FAILED', error: `${actor.stage}: ${error.message}` })) ?? job;
    }
    if ('done' in result) return result.done;
    message = result.next;
  }
  throw new Error('the pipeline ended without indexing the document');
}

// Same object, same resolvers: only the work behind `ingest` changes.
gateway.services.ingest.ingest = async (plans: readonly IngestPlan[]) => {
  const jobs: Job[] = [];
  for (const plan of plans) jobs.push(await ingestSynchronously(plan));
  return jobs;
};
onShutdown(logger, async () => { await gateway.stop(); await parsePool.close(); });
