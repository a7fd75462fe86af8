/**
 * Why a publish failed, as classes the gateway and the runtime recognise wherever they are thrown:
 * the gateway maps them to UNAVAILABLE or BACKPRESSURE, the runtime returns the delivery to its
 * queue without spending an attempt.
 */

/** The broker cannot be reached, the channel closed before the confirm, or no confirm came in time: retry later. */
export class BrokerUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BrokerUnavailableError';
  }
}

/**
 * The broker returned a mandatory publish (basic.return): no queue is bound for its routing key,
 * typically because the queue was deleted. The message was dropped, so nothing was accepted; the
 * broker re-declares its topology before the caller tries again.
 */
export class BrokerUnroutableError extends BrokerUnavailableError {
  constructor(readonly exchange: string, readonly routingKey: string, replyText: string) {
    super(`RabbitMQ could not route the message to ${exchange}/${routingKey} (${replyText}): its queue is missing and is being declared again`);
    this.name = 'BrokerUnroutableError';
  }
}

/** RabbitMQ blocks publishers (memory or disk alarm): back off and retry after the hint. */
export class BrokerBlockedError extends Error {
  constructor(readonly reason: string, readonly retryAfterSeconds: number) {
    super(`RabbitMQ is blocking publishers (${reason}); retry after ${retryAfterSeconds} s`);
    this.name = 'BrokerBlockedError';
  }
}

/**
 * The broker refused a publish with a negative confirm (basic.nack): with `x-overflow:
 * reject-publish` that means the target queue is at its `x-max-length`. Back off and retry.
 */
export class BrokerRejectedError extends Error {
  constructor(readonly exchange: string, readonly routingKey: string, readonly retryAfterSeconds: number) {
    super(`RabbitMQ rejected the publish to ${exchange}/${routingKey}: the queue is full (x-max-length, MAX_STAGE_QUEUE_LENGTH); retry after ${retryAfterSeconds} s`);
    this.name = 'BrokerRejectedError';
  }
}

/**
 * amqplib settles a confirm callback with `Error('message nacked')` for a real basic.nack and
 * `Error('channel closed')` when the channel or its connection closed first: only the former
 * means the broker refused the message.
 */
export function isNegativeConfirm(error: Error): boolean {
  return error.message === 'message nacked';
}
