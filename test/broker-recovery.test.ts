/**
 * The broker connection recovers every channel, not only a lost connection: a publisher channel
 * the server closes, a consumer whose queue is deleted, and a mandatory publish that finds no
 * queue. Each failure is reported as what it is (UNAVAILABLE, not a full queue). Real broker,
 * a namespace of its own.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { ConsumeMessage } from 'amqplib';
import { silentLogger } from '../observability/logger.ts';
import type { SystemConfig } from '../config/config.ts';
import { createBroker } from '../config/components.ts';
import type { Broker } from '../messaging/broker.ts';
import { BrokerRejectedError, BrokerUnavailableError, BrokerUnroutableError } from '../messaging/broker-errors.ts';
import type { Topology } from '../messaging/topology.ts';
import { AMQP_URL, withAmqp } from './support/test-system.ts';
import { openTestBroker, type TestBroker } from './support/test-broker.ts';

async function eventually<T>(what: string, probe: () => Promise<T | null | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => null);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('broker: every channel recovered, every failure named', function () {
  this.timeout(60_000);
  let testBroker: TestBroker;
  let config: SystemConfig;
  let names: Topology;
  let broker: Broker;

  beforeEach(async () => {
    testBroker = await openTestBroker('recovery');
    ({ config, names, broker } = testBroker);
  });
  afterEach(() => testBroker.close());

  const send = (routingKey: string, body = 'work') => broker.publish(names.workExchange, routingKey, Buffer.from(body));

  it('when the server closes the publisher channel, should fail that publish as UNAVAILABLE (not a full queue), report unhealthy, and re-open it', async () => {
    // A publish to a missing exchange makes the server close the channel (404): its pending confirm is lost.
    const lost = await broker.publish(`${names.namespace}.missing`, 'fetch', Buffer.from('x')).then(() => null, (error: unknown) => error);
    assert.ok(lost instanceof BrokerUnavailableError, `UNAVAILABLE, got ${String(lost)}`);
    assert.ok(!(lost instanceof BrokerRejectedError), 'not reported as a full queue');
    assert.equal(broker.health().healthy, false, 'not healthy while the publisher channel is closed');
    await send('fetch');
    assert.equal(broker.health().healthy, true, 'healthy again once re-opened');
    const depth = await withAmqp(async (channel) => (await channel.checkQueue(names.stageQueue('FETCH'))).messageCount);
    assert.equal(depth, 1, 'the publish after recovery reached its queue');
  });

  it('when a stage queue is missing, should reject the publish as unroutable, declare the queue again, and deliver the next publish', async () => {
    await withAmqp((channel) => channel.deleteQueue(names.stageQueue('PARSE')));
    const returned = await send('parse', 'dropped?').then(() => null, (error: unknown) => error);
    assert.ok(returned instanceof BrokerUnroutableError, `unroutable, got ${String(returned)}`);
    assert.ok(returned instanceof BrokerUnavailableError, 'answered as UNAVAILABLE by the gateway');
    await send('parse', 'delivered');
    const message = await withAmqp((channel) => channel.get(names.stageQueue('PARSE'), { noAck: true }));
    assert.equal(message && message.content.toString(), 'delivered');
  });

  it('when a job event has no listener, should still resolve: events are fire-and-forget', async () => {
    await broker.publish(names.eventsExchange, `job.nobody.${randomUUID()}`, Buffer.from('{}'), { mandatory: false, persistent: false });
  });

  it('when the queue of a running consumer is deleted, should declare it again and consume what is published next', async () => {
    const received: string[] = [];
    const consumer = broker.consume(names.stageQueue('CHUNK'), 1, (message: ConsumeMessage, channel) => {
      received.push(message.content.toString());
      channel.ack(message);
    });
    try {
      await eventually('the consumer to start', async () =>
        (await withAmqp((channel) => channel.checkQueue(names.stageQueue('CHUNK')))).consumerCount === 1);
      await withAmqp((channel) => channel.deleteQueue(names.stageQueue('CHUNK')));
      await eventually('the queue to be consumed again', async () =>
        (await withAmqp((channel) => channel.checkQueue(names.stageQueue('CHUNK')))).consumerCount === 1);
      await eventually('a publish to go through', async () => { await send('chunk', 'after deletion'); return true; });
      await eventually('the delivery', async () => received.includes('after deletion'));
    } finally {
      await consumer.cancel();
    }
  });

  it('when the first node named in AMQP_URL is down, should connect to the next one at once and publish there', async () => {
    const url = `amqp://guest:guest@127.0.0.1:1,${AMQP_URL}`;
    const failover = createBroker({ ...config, amqpUrl: url }, 'failover', silentLogger);
    try {
      const started = Date.now();
      assert.ok(await failover.start(3000), 'connected through the second node');
      assert.ok(Date.now() - started < 2000, 'no back-off before trying the second node');
      assert.equal(failover.nodeUrl, AMQP_URL.replace(/:[^:@/]+@/, ':***@'));
      await failover.publish(names.workExchange, 'fetch', Buffer.from('via the second node'));
      const depth = await withAmqp(async (channel) => (await channel.checkQueue(names.stageQueue('FETCH'))).messageCount);
      assert.equal(depth, 1);
    } finally {
      await failover.close();
    }
  });
});
