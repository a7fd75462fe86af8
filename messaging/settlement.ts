/**
 * The one way a delivery ends. Every delivery is settled exactly once, by ack or by nack with
 * requeue; a second settlement is ignored, and the runtime requeues any delivery that its
 * handling left unsettled (a store call that threw, say), so a broken dependency can hold a
 * prefetch slot for a moment but never for good.
 */
import type { Channel, ConsumeMessage } from 'amqplib';

export type SettlementAction = 'ack' | 'requeue';

export class Settlement {
  private action: SettlementAction | null = null;

  constructor(private readonly channel: Channel, readonly message: ConsumeMessage) {}

  /** How the delivery was settled, or null while it is not. */
  get settled(): SettlementAction | null {
    return this.action;
  }

  /** Done with it: the broker forgets the message (its effects are durable by now). */
  ack(): void {
    this.settle('ack', () => this.channel.ack(this.message));
  }

  /** Not done: the broker puts the message back in its queue for another delivery (no attempt spent). */
  requeue(): void {
    this.settle('requeue', () => this.channel.nack(this.message, false, true));
  }

  private settle(action: SettlementAction, send: () => void): void {
    if (this.action) return;
    this.action = action;
    // A closed channel cannot settle; the broker then redelivers the message by itself.
    try { send(); } catch { /* channel gone */ }
  }
}
