/**
 * A Broker connected to the test RabbitMQ with the work topology of a namespace of its own, for
 * tests of the messaging layer alone; `close` closes it and deletes that topology.
 */
import { randomUUID } from 'node:crypto';
import assert from 'node:assert/strict';
import { silentLogger } from '../../observability/logger.ts';
import { defaultConfig, type SystemConfig } from '../../config/config.ts';
import { createBroker, createRetryPolicy } from '../../config/components.ts';
import type { Broker } from '../../messaging/broker.ts';
import { declareWorkTopology, deleteTopology, topology, type Topology } from '../../messaging/topology.ts';
import { AMQP_URL, withAmqp } from './test-system.ts';

export interface TestBroker {
  readonly config: SystemConfig;
  readonly names: Topology;
  readonly broker: Broker;
  close(): Promise<void>;
}

export async function openTestBroker(name: string): Promise<TestBroker> {
  const config = defaultConfig({ amqpUrl: AMQP_URL, namespace: `test-${randomUUID().slice(0, 8)}`, publishTimeoutMs: 3000, logLevel: 'silent' });
  const names = topology(config.namespace, config.queueType);
  const broker = createBroker(config, name, silentLogger);
  await broker.declare((channel) => declareWorkTopology(channel, names, { retryDelaysMs: createRetryPolicy(config).delays() }));
  assert.ok(await broker.start(), 'connected');
  return {
    config, names, broker,
    async close() {
      await broker.close();
      await withAmqp((channel) => deleteTopology(channel, names, createRetryPolicy(config).delays()));
    },
  };
}
