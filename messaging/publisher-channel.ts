/**
 * One confirm channel used for publishing. Each publish resolves when the broker confirms it and
 * rejects with the reason otherwise: a negative confirm (queue full), a lost channel, or a
 * mandatory message returned as unroutable. RabbitMQ sends basic.return before the basic.ack of
 * the same message, so a return seen first turns that message's ack into a failure.
 */
import type { ConfirmChannel, Options } from 'amqplib';
import { BrokerRejectedError, BrokerUnavailableError, BrokerUnroutableError, isNegativeConfirm } from './broker-errors.ts';
import { HEADERS } from './headers.ts';

/** The retry-after hint of a rejected publish: a full stage queue drains in seconds at full speed. */
const REJECTED_RETRY_AFTER_SECONDS = 2;

export class PublisherChannel {
  private sequence = 0;
  /** Publish ids the broker returned, with its reply text, until their confirm arrives. */
  private readonly returned = new Map<string, string>();

  /** `onReturn` runs on every basic.return (the broker re-declares its topology). */
  constructor(readonly channel: ConfirmChannel, onReturn: (exchange: string, routingKey: string) => void) {
    channel.on('return', (message: { fields: { exchange: string; routingKey: string; replyText: string }; properties: { headers?: Record<string, unknown> } }) => {
      const id = message.properties.headers?.[HEADERS.publishId];
      if (typeof id === 'string') this.returned.set(id, message.fields.replyText);
      onReturn(message.fields.exchange, message.fields.routingKey);
    });
  }

  /**
   * Publishes and settles with the broker's answer. `mandatory` (the default) makes an unroutable
   * message a failure instead of a silent drop; fire-and-forget events pass false.
   */
  publish(exchange: string, routingKey: string, content: Buffer, options: Options.Publish): Promise<void> {
    const id = `${process.pid}.${++this.sequence}`;
    const mandatory = options.mandatory ?? true;
    const headers = mandatory ? { ...(options.headers ?? {}), [HEADERS.publishId]: id } : options.headers;
    return new Promise<void>((resolve, reject) => {
      try {
        this.channel.publish(exchange, routingKey, content, { persistent: true, ...options, mandatory, headers }, (error) => {
          const replyText = this.returned.get(id);
          this.returned.delete(id);
          if (error) reject(isNegativeConfirm(error)
            ? new BrokerRejectedError(exchange, routingKey, REJECTED_RETRY_AFTER_SECONDS)
            : new BrokerUnavailableError(`the channel closed before RabbitMQ confirmed the publish to ${exchange}/${routingKey}`, { cause: error }));
          else if (replyText !== undefined) reject(new BrokerUnroutableError(exchange, routingKey, replyText));
          else resolve();
        });
      } catch (error) {
        reject(new BrokerUnavailableError(`publish failed: ${String(error)}`, { cause: error }));
      }
    });
  }
}
