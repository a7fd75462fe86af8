/**
 * A consumer channel's acks are coalesced (messaging/channel-acks.ts): against the real broker,
 * every message acked is gone from its queue, every message requeued comes back, acks settled in
 * the very turn the broker closes still reach it, and a turn's acks go out as fewer frames than
 * acks. A namespace of its own.
 */
import assert from 'node:assert/strict';
import type { Channel, ConsumeMessage } from 'amqplib';
import type { Broker } from '../messaging/broker.ts';
import { ChannelAcks } from '../messaging/channel-acks.ts';
import type { Topology } from '../messaging/topology.ts';
import { withAmqp } from './support/test-system.ts';
import { openTestBroker, type TestBroker } from './support/test-broker.ts';

const MESSAGES = 40;
/** Deliveries held and then acked together, in one turn, in reverse order. */
const GROUP = 8;

describe('coalesced acks against the broker', function () {
  this.timeout(60_000);
  let testBroker: TestBroker;
  let names: Topology;
  let broker: Broker;

  beforeEach(async () => {
    testBroker = await openTestBroker('acks');
    ({ names, broker } = testBroker);
  });
  afterEach(() => testBroker.close());

  it('should remove every acked message, bring back every requeued one, and send a turn\'s acks as fewer frames, even when the broker closes in that turn', async () => {
    const queue = names.stageQueue('FETCH');
    for (let i = 0; i < MESSAGES; i++) await broker.publish(names.workExchange, names.stageKey('FETCH'), Buffer.from(`m${i}`));

    const seen = new Map<string, number>();
    const acked = new Set<string>();
    let ackFrames = 0;
    let held: { message: ConsumeMessage; channel: Channel }[] = [];
    const watched = new WeakSet<Channel>();
    let closing: Promise<void> | null = null;
    const done = new Promise<void>((resolve) => {
      broker.consume(queue, 2 * GROUP, (message, channel) => {
        if (!watched.has(channel)) {
          // Counts the frames the coalescer sends; each call of channel.ack is one basic.ack.
          watched.add(channel);
          const ack = channel.ack.bind(channel);
          channel.ack = (m, allUpTo) => { ackFrames += 1; ack(m, allUpTo); };
        }
        const body = message.content.toString();
        seen.set(body, (seen.get(body) ?? 0) + 1);
        // Every fifth message is requeued the first time it comes.
        if (Number(body.slice(1)) % 5 === 0 && seen.get(body) === 1) {
          ChannelAcks.of(channel).nack(message, true);
          return;
        }
        held.push({ message, channel });
        const remaining = MESSAGES - acked.size;
        if (held.length < Math.min(GROUP, remaining)) return;
        for (const entry of held.reverse()) {
          ChannelAcks.of(entry.channel).ack(entry.message);
          acked.add(entry.message.content.toString());
        }
        held = [];
        if (acked.size === MESSAGES) {
          // In the same turn as the last acks: they have not gone out yet.
          closing = broker.close();
          resolve();
        }
      });
    });
    await done;
    await closing;

    const left = await withAmqp(async (channel) => (await channel.checkQueue(queue)).messageCount);
    assert.equal(left, 0, 'no acked message went back to the queue when the broker closed');
    assert.equal(acked.size, MESSAGES, 'every message was acked');
    for (const [body, times] of seen) {
      assert.equal(times, Number(body.slice(1)) % 5 === 0 ? 2 : 1, `${body} delivered ${times} times`);
    }
    assert.ok(ackFrames > 0 && ackFrames < MESSAGES / 2, `${MESSAGES} acks went out as ${ackFrames} frames`);
  });
});
