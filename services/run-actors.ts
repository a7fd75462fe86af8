/**
 * Runs one or more stage actors in this process over one broker connection: declares the
 * work topology, listens for cancel signals, and consumes each stage's queue.
 */
import type { Stage } from '../schema/domain.ts';
import type { Logger } from '../observability/logger.ts';
import { createBroker, createEmbedder, createRetryPolicy, openStore } from '../config/components.ts';
import type { SystemConfig } from '../config/config.ts';
import { ActorRuntime } from '../messaging/actor-runtime.ts';
import { CancellationRegistry } from '../messaging/cancellation.ts';
import { CANCEL_PATTERN, JobEventPublisher } from '../messaging/job-events.ts';
import { EventDemand, LISTENING_KEY } from '../messaging/event-demand.ts';
import { listenToEvents } from '../messaging/event-listener.ts';
import { declareWorkTopology, topology } from '../messaging/topology.ts';
import { createParsePool, stageActor } from './stage-actors.ts';
import type { Embedder } from '../embedders/embedder.ts';
import type { StageActor } from '../messaging/actor-runtime.ts';
import type { Store } from '../stores/store.ts';

/** Components a caller (a test, a fault harness) may supply instead of those built from the config. */
export interface SharedComponents {
  readonly store?: Store;
  readonly embedder?: Embedder;
  /** Wraps each stage's actor, e.g. to inject a fault at a seam without touching the actors. */
  readonly wrapActor?: (actor: StageActor<any>) => StageActor<any>;
  /** Whether anyone listens to progress, e.g. one on a test's clock. */
  readonly eventDemand?: EventDemand;
}

export interface RunningActors {
  /** Mean consumer utilisation (0..1) of this process's actors since the previous call. */
  utilisation(): number;
  /** Stops consuming, finishes in-flight work (up to graceMs: SHUTDOWN_GRACE_MS), closes connections. */
  stop(graceMs: number): Promise<void>;
}

export async function runActors(stages: readonly Stage[], config: SystemConfig, logger: Logger, shared?: SharedComponents): Promise<RunningActors> {
  const names = topology(config.namespace, config.queueType);
  const retry = createRetryPolicy(config);
  const store = shared?.store ?? await openStore(config);
  const embedder = shared?.embedder ?? createEmbedder(config);
  const wrap = shared?.wrapActor ?? ((actor) => actor);
  const broker = createBroker(config, `actor ${stages.join(',').toLowerCase()}`, logger);
  await broker.declare((channel) => declareWorkTopology(channel, names, { retryDelaysMs: retry.delays(), maxStageLength: config.maxStageQueueLength, deliveryLimit: config.deliveryLimit }));
  const cancellation = new CancellationRegistry();
  const demand = shared?.eventDemand ?? new EventDemand();
  // One control queue per process: cancel signals, and the gateways' announcements of subscribers.
  const listener = await listenToEvents(broker, names, 'control', [CANCEL_PATTERN, LISTENING_KEY], (message) => {
    if (message.fields.routingKey === LISTENING_KEY) demand.heard();
    else cancellation.cancel(message.content.toString('utf8'));
  });
  const events = new JobEventPublisher(broker, names, logger, demand);
  const parsePool = stages.includes('PARSE') ? createParsePool(config, logger.child({ actor: 'parse' })) : undefined;
  // Consume only once the workers can parse: their start must not count against a stage deadline.
  await parsePool?.warm();
  const runtimes = stages.map((stage) => new ActorRuntime(wrap(stageActor(stage, config, store, embedder, parsePool)), {
    broker, names, store, events, cancellation, retry, logger: logger.child({ actor: stage.toLowerCase() }),
  }, { prefetch: config.prefetchByStage[stage] ?? config.prefetch, stageTimeoutMs: config.stageTimeoutMs }));
  if (config.handOverInProcess) {
    const byStage = new Map(stages.map((stage, i) => [stage, runtimes[i]!]));
    for (const runtime of runtimes) runtime.handOverTo((stage) => byStage.get(stage));
  }
  for (const runtime of runtimes) runtime.start();
  await broker.start();
  logger.info('actors running', { stages, namespace: config.namespace });
  return {
    utilisation: () => runtimes.reduce((sum, runtime) => sum + runtime.utilisation(), 0) / Math.max(1, runtimes.length),
    async stop(graceMs) {
      await Promise.all(runtimes.map((runtime) => runtime.stop(graceMs)));
      await parsePool?.close();
      await listener.stop();
      await broker.close();
      if (!shared?.store) await store.close();
    },
  };
}
