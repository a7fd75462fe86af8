import assert from 'node:assert/strict';
import type { ConsumeMessage } from 'amqplib';
import { ChannelAcks, type AckChannel } from './channel-acks.ts';

/** A channel that records what would go to the broker: `ack 5+` is an ack with `multiple`. */
function recordingChannel(): AckChannel & { sent: string[]; closed: boolean } {
  const channel = {
    sent: [] as string[],
    closed: false,
    ack(message: ConsumeMessage, allUpTo?: boolean) {
      if (channel.closed) throw new Error('Channel closed');
      channel.sent.push(`ack ${message.fields.deliveryTag}${allUpTo ? '+' : ''}`);
    },
    nack(message: ConsumeMessage, _allUpTo?: boolean, requeue?: boolean) {
      channel.sent.push(`${requeue ? 'requeue' : 'drop'} ${message.fields.deliveryTag}`);
    },
  };
  return channel;
}

const delivery = (deliveryTag: number) => ({ fields: { deliveryTag } }) as ConsumeMessage;
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

/** A channel with deliveries 1..count registered. */
function withDeliveries(count: number) {
  const channel = recordingChannel();
  const acks = ChannelAcks.of(channel);
  const messages = Array.from({ length: count }, (_, i) => delivery(i + 1));
  for (const message of messages) acks.delivered(message);
  return { channel, acks, messages };
}

describe('ChannelAcks: coalescing a consumer channel\'s acks', () => {
  it('sends the acks of one turn as one ack with multiple, at the end of the turn', async () => {
    const { channel, acks, messages } = withDeliveries(4);
    for (const message of messages) acks.ack(message);
    assert.deepEqual(channel.sent, [], 'nothing is sent inside the turn');
    await nextTurn();
    assert.deepEqual(channel.sent, ['ack 4+']);
  });

  it('never covers a delivery still running: acks past it go one by one', async () => {
    const { channel, acks, messages } = withDeliveries(5);
    // 3 is still running.
    for (const tag of [1, 2, 4, 5]) acks.ack(messages[tag - 1]!);
    await nextTurn();
    assert.deepEqual(channel.sent, ['ack 2+', 'ack 4', 'ack 5']);
    acks.ack(messages[2]!);
    await nextTurn();
    assert.deepEqual(channel.sent.slice(3), ['ack 3'], 'a run of one is a plain ack');
  });

  it('sends a requeue at once and lets a later run pass over it', async () => {
    const { channel, acks, messages } = withDeliveries(3);
    acks.ack(messages[1]!);
    acks.nack(messages[0]!, true);
    assert.deepEqual(channel.sent, ['requeue 1']);
    acks.ack(messages[2]!);
    await nextTurn();
    assert.deepEqual(channel.sent, ['requeue 1', 'ack 3+'], '1 is the broker\'s again, so the run starts at 2');
  });

  it('flush sends the waiting acks at once, and a closed channel drops them without throwing', async () => {
    const { channel, acks, messages } = withDeliveries(2);
    acks.ack(messages[0]!);
    acks.flush();
    assert.deepEqual(channel.sent, ['ack 1']);
    acks.ack(messages[1]!);
    channel.closed = true;
    assert.doesNotThrow(() => acks.flush());
    assert.equal(acks.pending, 0);
    await nextTurn();
    assert.deepEqual(channel.sent, ['ack 1']);
  });

  it('acks a delivery it was never told of at once, never inside a run', async () => {
    const { channel, acks, messages } = withDeliveries(2);
    acks.ack(delivery(9));
    assert.deepEqual(channel.sent, ['ack 9']);
    acks.ack(messages[1]!);
    await nextTurn();
    assert.deepEqual(channel.sent, ['ack 9', 'ack 2'], '1 still runs');
  });

  it('keeps one set of acks per channel', () => {
    const channel = recordingChannel();
    assert.equal(ChannelAcks.of(channel), ChannelAcks.of(channel));
    assert.notEqual(ChannelAcks.of(channel), ChannelAcks.of(recordingChannel()));
  });
});
