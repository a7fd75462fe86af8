/**
 * Reading and replaying the stages' dead-letter queues. The queues are the record: reading takes
 * each message with `basic.get` (no auto-ack) and returns it with a nack-requeue on the same
 * channel, so looking never consumes; replaying publishes the message back to its stage (with a
 * confirm) and only then acks it out of the dead-letter queue, so a crash in between duplicates
 * (harmless: every stage is idempotent) and never loses.
 */
import type { Channel, GetMessage } from 'amqplib';
import { STAGES, type Stage } from '../schema/domain.ts';
import type { Broker } from './broker.ts';
import { HEADERS, carriedHeaders } from './headers.ts';
import type { Topology } from './topology.ts';

/** One dead-lettered message, as shown to an operator. */
export interface DeadLetter {
  /** The job it belongs to; null when the body was not even JSON. */
  readonly jobId: string | null;
  readonly stage: Stage;
  readonly error: string;
  readonly attempts: number;
  readonly firstFailedAt: Date | null;
  readonly lastFailedAt: Date | null;
  readonly collection: string | null;
  /** The message contract's `type` (e.g. `embed.request`), when readable. */
  readonly messageType: string | null;
}

/** Which dead letters to replay. */
export interface ReplayFilter {
  /** Only this stage's queue; default every stage. */
  readonly stage?: Stage;
  /** Only messages of these jobs; default all. */
  readonly jobIds?: readonly string[];
  /** At most this many; default all. */
  readonly limit?: number;
}

/** Called for each dead letter about to be replayed (e.g. to put its job back to QUEUED). */
export type BeforeReplay = (letter: DeadLetter) => Promise<void>;

export class DeadLetterQueues {
  constructor(private readonly broker: Broker, private readonly names: Topology) {}

  /** Up to `first` dead letters, oldest first per stage, in pipeline order; nothing is consumed. */
  async list(stage: Stage | undefined, first: number): Promise<DeadLetter[]> {
    const letters: DeadLetter[] = [];
    for (const current of stage ? [stage] : STAGES) {
      if (letters.length >= first) break;
      await this.broker.withChannel(async (channel) => {
        const taken = await takeAll(channel, this.names.deadLetterQueue(current), first - letters.length);
        letters.push(...taken.map((message) => describe(message, current)));
        for (const message of taken) channel.nack(message, false, true);
      });
    }
    return letters;
  }

  /**
   * Moves matching dead letters back to their stage queue with a fresh attempt count and
   * returns the ones moved. Messages that do not match stay where they were.
   */
  async replay(filter: ReplayFilter, beforeReplay: BeforeReplay = async () => {}): Promise<DeadLetter[]> {
    const wanted = filter.jobIds ? new Set(filter.jobIds) : null;
    const limit = filter.limit ?? Number.POSITIVE_INFINITY;
    const replayed: DeadLetter[] = [];
    for (const stage of filter.stage ? [filter.stage] : STAGES) {
      if (replayed.length >= limit) break;
      await this.broker.withChannel(async (channel) => {
        const taken = await takeAll(channel, this.names.deadLetterQueue(stage), Number.POSITIVE_INFINITY);
        try {
          for (const message of taken) {
            const letter = describe(message, stage);
            const matches = replayed.length < limit && (!wanted || (letter.jobId !== null && wanted.has(letter.jobId)));
            if (!matches) { channel.nack(message, false, true); continue; }
            await beforeReplay(letter);
            await this.broker.publish(this.names.workExchange, this.names.stageKey(stage, message.properties.priority), message.content, {
              ...message.properties,
              headers: freshHeaders(message),
            });
            channel.ack(message);
            replayed.push(letter);
          }
        } finally {
          // Anything not settled (a failed publish) goes back when the channel closes; say so explicitly.
          await channel.recover().catch(() => {});
        }
      });
    }
    return replayed;
  }
}

/** Gets up to `max` messages (never more than the queue held when we started: no re-reading). */
async function takeAll(channel: Channel, queue: string, max: number): Promise<GetMessage[]> {
  const { messageCount } = await channel.checkQueue(queue);
  const taken: GetMessage[] = [];
  while (taken.length < Math.min(max, messageCount)) {
    const message = await channel.get(queue, { noAck: false });
    if (!message) break;
    taken.push(message);
  }
  return taken;
}

function describe(message: GetMessage, stage: Stage): DeadLetter {
  const headers = message.properties.headers ?? {};
  const body = readBody(message);
  const headerJobId = headers[HEADERS.jobId];
  const jobId = typeof headerJobId === 'string' ? headerJobId : typeof body?.job?.jobId === 'string' ? body.job.jobId : null;
  return {
    jobId,
    stage,
    error: String(headers[HEADERS.error] ?? 'unknown error'),
    attempts: Number(headers[HEADERS.attempt] ?? 1),
    firstFailedAt: dateOf(headers[HEADERS.firstFailureAt]),
    lastFailedAt: dateOf(headers[HEADERS.lastFailureAt]),
    collection: typeof body?.job?.collection === 'string' ? body.job.collection : null,
    messageType: typeof body?.type === 'string' ? body.type : null,
  };
}

/** The message's headers without the failure record, and attempt 1: a replay starts counting again. */
function freshHeaders(message: GetMessage): Record<string, unknown> {
  return { ...carriedHeaders(message.properties.headers), [HEADERS.attempt]: 1 };
}

type Body = { readonly type?: unknown; readonly job?: { readonly jobId?: unknown; readonly collection?: unknown } };

function readBody(message: GetMessage): Body | null {
  try {
    const value: unknown = JSON.parse(message.content.toString('utf8'));
    return typeof value === 'object' && value !== null ? value as Body : null;
  } catch {
    return null;
  }
}

function dateOf(value: unknown): Date | null {
  if (typeof value !== 'string') return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}
