/**
 * Deliveries held unacked by the consumers of this process, per queue. AMQP 0-9-1 reports only
 * ready messages and consumers (queue.declare passive); the unacked count without the management
 * plugin is what each process knows of its own consumers.
 */
const counts = new Map<string, number>();

export function enterDelivery(queue: string): void {
  counts.set(queue, (counts.get(queue) ?? 0) + 1);
}

export function leaveDelivery(queue: string): void {
  const count = (counts.get(queue) ?? 0) - 1;
  if (count > 0) counts.set(queue, count);
  else counts.delete(queue);
}

/** Unacked deliveries of `queue` held in this process. */
export function inFlight(queue: string): number {
  return counts.get(queue) ?? 0;
}
