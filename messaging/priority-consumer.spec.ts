import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { Channel, ConsumeMessage } from 'amqplib';
import type { Broker, DeliveryHandler } from './broker.ts';
import { consumeInPriorityOrder } from './priority-consumer.ts';

/** A broker double: records each queue's delivery handler so the test can deliver by hand. */
function fakeBroker() {
  const handlers = new Map<string, DeliveryHandler>();
  const broker = { consume: (queue: string, _prefetch: number, handler: DeliveryHandler) => {
    handlers.set(queue, handler);
    return { cancel: async () => { handlers.delete(queue); } };
  } } as unknown as Broker;
  return { broker, handlers };
}

function fakeChannel() {
  const nacked: string[] = [];
  const channel = Object.assign(new EventEmitter(), { nack: (message: ConsumeMessage) => { nacked.push(message.content.toString()); } });
  return { channel: channel as unknown as Channel & EventEmitter, nacked };
}

const message = (body: string) => ({ content: Buffer.from(body), fields: {}, properties: {} }) as unknown as ConsumeMessage;

describe('consuming priority bands', () => {
  it('when the window is full of LOW work and URGENT arrives, should start URGENT at the next free slot, before waiting LOW work', async () => {
    const { broker, handlers } = fakeBroker();
    const { channel } = fakeChannel();
    const started: string[] = [];
    const finish = new Map<string, () => void>();
    consumeInPriorityOrder(broker, ['q.urgent', 'q.low'], 2, (delivery) => {
      const body = delivery.content.toString();
      started.push(body);
      return new Promise<void>((resolve) => finish.set(body, resolve));
    });
    for (const body of ['low-1', 'low-2', 'low-3', 'low-4']) handlers.get('q.low')!(message(body), channel);
    handlers.get('q.urgent')!(message('urgent-1'), channel);
    assert.deepEqual(started, ['low-1', 'low-2'], 'at most the prefetch runs at once');
    finish.get('low-1')!();
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(started, ['low-1', 'low-2', 'urgent-1']);
    finish.get('low-2')!();
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(started, ['low-1', 'low-2', 'urgent-1', 'low-3']);
  });

  it('when a channel closes or the consumer is cancelled, should drop or return the deliveries still waiting', async () => {
    const { broker, handlers } = fakeBroker();
    const first = fakeChannel();
    const second = fakeChannel();
    const started: string[] = [];
    const consumer = consumeInPriorityOrder(broker, ['q.normal'], 1, (delivery) => {
      started.push(delivery.content.toString());
      return new Promise<void>(() => {});
    });
    for (const body of ['a', 'b']) handlers.get('q.normal')!(message(body), first.channel);
    handlers.get('q.normal')!(message('c'), second.channel);
    first.channel.emit('close');
    await consumer.cancel();
    assert.deepEqual(started, ['a']);
    assert.deepEqual(first.nacked, [], 'the closed channel\'s deliveries are redelivered by the broker');
    assert.deepEqual(second.nacked, ['c'], 'waiting deliveries go back to their queue');
  });
});
