/**
 * Polling probes shared by the runtime tests: the next message of a queue, and a job's status
 * once it reaches the one wanted (the runtime writes statuses after broker confirms, so a test
 * waits for them instead of reading once).
 */
import type { GetMessage } from 'amqplib';
import type { Store } from '../../stores/store.ts';
import { withAmqp } from './test-system.ts';

const POLL_MS = 30;

/** The next message of `queue` (taken), or null after `timeoutMs`. */
export async function nextMessage(queue: string, timeoutMs = 15_000): Promise<GetMessage | null> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const message = await withAmqp((channel) => channel.get(queue, { noAck: true }));
    if (message || Date.now() > deadline) return message || null;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** The job's status once it is `wanted`, or whatever it is after `timeoutMs`. */
export async function statusOnceIs(store: Store, jobId: string, wanted: string, timeoutMs = 15_000): Promise<string | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = (await store.getJob(jobId))?.status;
    if (status === wanted || Date.now() > deadline) return status;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
