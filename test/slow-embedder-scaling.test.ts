/**
 * The supervisor scaling the embed actor to a slow embedding box on its own (issue 15 item 5):
 * against bench/slow-embed-server.ts (Ollama's /api/embed, 3 calls at once), embed workers
 * making one call at a time (PREFETCH_EMBED=1) and the autoscaler `npm start` runs, scaling on
 * queue depth alone (SCALE_UTILISATION=off) with short intervals so the test stays short. In one
 * layout fetch, parse, chunk and index run in this process and the autoscaler manages the embed
 * actor alone; in the other, npm start's, a pipeline worker runs every stage (handing work on in
 * process while the next stage has a free slot) and the autoscaler adds embed workers beside it.
 * What is asserted is what an operator sees: the worker counts in the status file the supervisor
 * writes, the box's own count of calls served at once, and every job's final status.
 */
import assert from 'node:assert/strict';
import { STAGES, type Stage } from '../schema/domain.ts';
import { createBroker } from '../config/components.ts';
import type { Broker } from '../messaging/broker.ts';
import { checkStageQueues } from '../messaging/stage-depth.ts';
import { silentLogger } from '../observability/logger.ts';
import { Autoscaler } from '../supervisor/autoscaler.ts';
import { readScalingStatus } from '../supervisor/scaling-status.ts';
import { Supervisor } from '../supervisor/supervisor.ts';
import { startSlowEmbedServer, type SlowEmbedServer } from '../bench/slow-embed-server.ts';
import { envOf } from './support/actor-process.ts';
import { gqlData, waitForJob } from './support/graphql-client.ts';
import { startTestSystem, withAmqp, type TestSystem } from './support/test-system.ts';

/** Calls the box serves at once: the embed workers it takes to keep it busy, at the least. */
const BOX_CONCURRENCY = 3;
const MAX_EMBED_WORKERS = 4;
const DOCUMENTS = 150;
const INGEST_MANY = 'mutation($inputs: [IngestInput!]!) { ingestDocuments(inputs: $inputs) { id } }';

for (const layout of ['embed workers alone', 'beside a pipeline worker'] as const) describe(`supervisor scaling embed workers to a slow embedding box, ${layout}`, function () {
  const pipeline = layout === 'beside a pipeline worker';
  this.timeout(90_000);
  let server: SlowEmbedServer;
  let system: TestSystem;
  let supervisor: Supervisor;
  let broker: Broker;
  let autoscaler: Autoscaler;

  before(async () => {
    server = await startSlowEmbedServer({ latencyMs: 50, concurrency: BOX_CONCURRENCY, dimension: 16 });
    system = await startTestSystem({ actors: false, config: { embedder: 'ollama', ollamaHost: server.host, ollamaModel: 'slow-embed' } });
    if (!pipeline) await system.startActors(STAGES.filter((stage) => stage !== 'EMBED'));
    supervisor = new Supervisor(silentLogger, {
      startLimit: 3, stopGraceMs: 5000,
      env: envOf(system.config, { EMBEDDER: 'ollama', OLLAMA_HOST: server.host, OLLAMA_MODEL: 'slow-embed', PREFETCH_EMBED: '1' }),
    });
    broker = createBroker(system.config, 'test autoscaler', silentLogger);
    void broker.start();
    // Embed workers: one at least (the pipeline worker counts as one), MAX_EMBED_WORKERS at most,
    // one per 10 waiting documents; the other stages are the pipeline worker's or this process's.
    const others = pipeline ? 1 : 0;
    const embedOr = (embed: number) => Object.fromEntries(STAGES.map((stage) => [stage, stage === 'EMBED' ? embed : others])) as Record<Stage, number>;
    autoscaler = new Autoscaler(supervisor, broker, system.names, {
      pipelineWorkers: others, minWorkers: embedOr(1), maxWorkers: embedOr(MAX_EMBED_WORKERS), targetQueueLength: 10, targetUtilisation: null, intervalMs: 250, cooldownMs: 3000,
    }, system.config.dataDir, silentLogger);
  });
  after(async () => {
    await autoscaler?.stop();
    await supervisor?.stopAll(2000);
    await broker?.close();
    await system?.stop();
    await server?.close();
  });

  /** The embed worker count the supervisor last wrote. */
  const embedStatus = async () => (await readScalingStatus(system.config.dataDir))?.stages.EMBED;

  async function until(what: string, check: () => Promise<boolean>, timeoutMs = 45_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`${what}: not after ${timeoutMs} ms (status ${JSON.stringify(await embedStatus())})`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  it('when the embed queue is deep, should scale from one worker to the box\'s capacity, then back to one after the cool-down', async () => {
    await autoscaler.start();
    const embedConsumers = () => withAmqp(async (channel) => (await checkStageQueues(channel, system.names.stageQueues('EMBED'))).consumers);
    await until('one embed worker consuming', async () => (await embedConsumers()) === 1);
    assert.equal((await embedStatus())?.workers, 1);

    // Every worker count the supervisor writes while the backlog is worked off.
    const seen: number[] = [];
    const watcher = setInterval(() => void embedStatus().then((status) => { if (status) seen.push(status.workers); }, () => {}), 100);
    try {
      const ids: string[] = [];
      for (let start = 0; start < DOCUMENTS; start += 50) {
        const inputs = Array.from({ length: 50 }, (_, i) => ({ collection: 'slowbox', documentId: `doc-${start + i}`, text: `Document ${start + i} about otters and rivers.` }));
        const { ingestDocuments } = await gqlData(system.url, INGEST_MANY, { inputs });
        ids.push(...ingestDocuments.map((job: { id: string }) => job.id));
      }
      const jobs = [];
      for (const id of ids) jobs.push(await waitForJob(system.url, id, 60_000));
      assert.deepEqual(jobs.filter((job) => job.status !== 'SUCCEEDED'), [], 'every job succeeds');
      assert.ok(Math.max(...seen) >= BOX_CONCURRENCY, `reached at least ${BOX_CONCURRENCY} embed workers (saw ${[...new Set(seen)].join(', ')})`);
      assert.ok(Math.max(...seen) <= MAX_EMBED_WORKERS);
      // The workers kept the box busy: it served as many calls at once as it can.
      assert.equal(server.stats().peakServing, BOX_CONCURRENCY);

      // The queue is empty: after the cool-down the supervisor returns to the minimum.
      await until('back at one embed worker', async () => (await embedStatus())?.workers === 1);
      const status = await embedStatus();
      assert.equal(status?.ready, 0);
      assert.match(status?.lastDecision?.reason ?? '', /scale down after 3000 ms cool-down/);
      await until('one embed consumer left', async () => (await embedConsumers()) === 1);
    } finally {
      clearInterval(watcher);
    }
  });
});
