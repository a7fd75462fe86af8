/**
 * The actor runtime on the real broker without a gateway: a namespace, a store and a broker
 * connection of its own, and runtimes started on demand for any actor. close() stops the
 * runtimes, deletes the namespace's queues and exchanges and the store's folder.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { silentLogger } from '../../observability/logger.ts';
import { defaultConfig, type SystemConfig } from '../../config/config.ts';
import { createBroker, createRetryPolicy, openStore } from '../../config/components.ts';
import { ActorRuntime, type StageActor } from '../../messaging/actor-runtime.ts';
import type { Broker } from '../../messaging/broker.ts';
import { CancellationRegistry } from '../../messaging/cancellation.ts';
import { JobEventPublisher } from '../../messaging/job-events.ts';
import { declareWorkTopology, deleteTopology, topology, type Topology } from '../../messaging/topology.ts';
import type { Store } from '../../stores/store.ts';
import { AMQP_URL, withAmqp } from './test-system.ts';

export interface RuntimeHarness {
  readonly config: SystemConfig;
  readonly names: Topology;
  readonly store: Store;
  readonly broker: Broker;
  /** Starts a runtime for `actor` (with another store, to inject faults); stopped by stopRuntimes() or close(). */
  run(actor: StageActor<any>, options: { readonly prefetch: number; readonly store?: Store }): ActorRuntime<unknown>;
  stopRuntimes(): Promise<void>;
  close(): Promise<void>;
}

export async function openRuntimeHarness(name: string): Promise<RuntimeHarness> {
  const dataDir = mkdtempSync(path.join(tmpdir(), `rag-${name}-`));
  const config = defaultConfig({ amqpUrl: AMQP_URL, namespace: `test-${randomUUID().slice(0, 8)}`, dataDir, retryDelaysMs: [50], logLevel: 'silent' });
  const names = topology(config.namespace, config.queueType);
  const retryDelaysMs = createRetryPolicy(config).delays();
  const store = await openStore(config);
  const broker = createBroker(config, name, silentLogger);
  await broker.declare((channel) => declareWorkTopology(channel, names, { retryDelaysMs }));
  await broker.start();
  const runtimes: ActorRuntime<unknown>[] = [];
  const stopRuntimes = async () => { await Promise.all(runtimes.splice(0).map((runtime) => runtime.stop(2000))); };
  return {
    config, names, store, broker, stopRuntimes,
    run(actor, options) {
      const runtime = new ActorRuntime(actor, {
        broker, names, store: options.store ?? store, retry: createRetryPolicy(config), logger: silentLogger,
        events: new JobEventPublisher(broker, names, silentLogger), cancellation: new CancellationRegistry(),
      }, { prefetch: options.prefetch, stageTimeoutMs: config.stageTimeoutMs });
      runtime.start();
      runtimes.push(runtime);
      return runtime;
    },
    async close() {
      await stopRuntimes();
      await broker.close();
      await withAmqp((channel) => deleteTopology(channel, names, retryDelaysMs));
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
