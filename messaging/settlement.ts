/**
 * The one way a delivery ends. Every delivery is settled exactly once, by ack or by requeue; a
 * second settlement is ignored, and the runtime requeues any delivery that its handling left
 * unsettled (a store call that threw, say), so a broken dependency can hold a prefetch slot for a
 * moment but never for good.
 *
 * A delivery comes from the broker (acked at the end of the event loop's turn, coalesced with the
 * channel's other acks, see channel-acks.ts; requeued at once) or was handed over in process by
 * the stage before it (messaging/hand-over.ts): then nothing is acked, and requeueing means
 * publishing the message to its stage's queue, which `ended` waits for, so the stage that handed
 * it over acks its own message only once this one is done or safely queued.
 */
import type { Channel, ConsumeMessage } from 'amqplib';
import { ChannelAcks } from './channel-acks.ts';

export type SettlementAction = 'ack' | 'requeue';

export class Settlement {
  private action: SettlementAction | null = null;
  private ending: Promise<void> = Promise.resolve();

  private constructor(readonly message: ConsumeMessage, private readonly actions: { ack(): void; requeue(): Promise<void> | void }) {}

  /** A delivery from the broker on `channel`. */
  static fromBroker(channel: Channel, message: ConsumeMessage): Settlement {
    const acks = ChannelAcks.of(channel);
    return new Settlement(message, {
      ack: () => acks.ack(message),
      requeue: () => acks.nack(message, true),
    });
  }

  /** A message handed over in process: requeueing it publishes it to its stage's queue. */
  static handedOver(message: ConsumeMessage, enqueue: () => Promise<void>): Settlement {
    return new Settlement(message, { ack: () => {}, requeue: enqueue });
  }

  /** How the delivery was settled, or null while it is not. */
  get settled(): SettlementAction | null {
    return this.action;
  }

  /** Resolves once the settlement took effect; rejects if a handed-over message could not be queued. */
  get ended(): Promise<void> {
    return this.ending;
  }

  /** Done with it: the broker forgets the message (its effects are durable by now). */
  ack(): void {
    this.settle('ack', () => this.actions.ack());
  }

  /** Not done: the message goes back to its queue for another delivery (no attempt spent). */
  requeue(): Promise<void> {
    this.settle('requeue', () => this.actions.requeue());
    return this.ending;
  }

  private settle(action: SettlementAction, send: () => Promise<void> | void): void {
    if (this.action) return;
    this.action = action;
    // A closed channel cannot settle; the broker then redelivers the message by itself.
    try {
      this.ending = Promise.resolve(send());
      // Whoever needs the outcome awaits `ended`; this only keeps a failure from going unhandled.
      this.ending.catch(() => {});
    } catch { /* channel gone */ }
  }
}
