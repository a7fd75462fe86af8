/**
 * The actor runtime: the only code that acks, retries or dead-letters. Handlers return or throw.
 *
 * Ack table (outcome → broker action, in this order; the ack always comes last, so a crash
 * before it means redelivery, never loss):
 *
 * | outcome                                   | action                                                        |
 * | ----------------------------------------- | ------------------------------------------------------------- |
 * | returns { next }                          | hand on to the next stage (in process, or confirmed publish) → ack |
 * | returns { done }                          | (store already wrote the final state) → event → ack           |
 * | job unknown                               | dead-letter as poison (see below)                             |
 * | job already terminal                      | (FAILED/CANCELLED: keep as resume point) → event → ack (drop) |
 * | not JSON / fails its contract (poison)    | dead-letter unchanged with x-error (confirm) → DEAD_LETTERED → ack |
 * | non-retryable error (messaging/errors.ts) | resume point → job FAILED with the message → event → ack      |
 * | ContractError thrown by the handler       | dead-letter unchanged (confirm) → resume point → DEAD_LETTERED → event → ack |
 * | CancelledError / aborted by cancel        | resume point → ack (the job is CANCELLED already)             |
 * | stage deadline passed (handler aborted)   | as "other error" below (the attempt counts as failed)         |
 * | process shutting down (handler aborted)   | nack with requeue: another consumer takes it                  |
 * | other error, attempts left                | publish to retry queue with x-attempt+1 (confirm) → event → ack |
 * | other error, last attempt                 | dead-letter with error (confirm) → resume point → DEAD_LETTERED → event → ack |
 * | next stage's queue full (publish nacked)  | wait 1 s, nack with requeue (backpressure; not an attempt)     |
 * | next stage unroutable (publish returned)  | pause, nack with requeue (not an attempt); the broker re-declares its queues first |
 * | broker publish fails in any of the above  | pause, then nack with requeue (or nothing if the channel is gone): redelivered |
 * | anything else throws (a store call, …)    | pause, then nack with requeue: every delivery is settled (messaging/settlement.ts) |
 *
 * The resume point (Store.saveResumePoint) is this stage's input message: retryJob publishes it
 * again, so a retried job resumes at the stage it stopped in, not from the start.
 */
import type { ConsumeMessage } from 'amqplib';
import { AMQP_PRIORITY, STAGE_PROGRESS, isTerminal, nextStage, type Job, type Stage } from '../schema/domain.ts';
import type { JobRef } from '../schema/messages/contract.ts';
import { annotateDelivery, markOutcome, tracedDelivery, tracedHandle } from '../observability/amqp-tracing.ts';
import type { Logger } from '../observability/logger.ts';
import { recordSearchable } from '../observability/metrics.ts';
import type { Store } from '../stores/store.ts';
import type { Broker } from './broker.ts';
import { BrokerBlockedError, BrokerRejectedError, BrokerUnavailableError } from './broker-errors.ts';
import { StageSignal } from './stage-signal.ts';
import type { CancellationRegistry } from './cancellation.ts';
import { ContractError } from '../schema/contract-error.ts';
import { CancelledError, classify, errorMessage } from './errors.ts';
import { attemptOf, carriedHeaders, deadLetterHeaders, retryHeaders } from './headers.ts';
import type { JobEventPublisher } from './job-events.ts';
import type { RetryPolicy } from './retry-policy.ts';
import { Settlement } from './settlement.ts';
import { sendStagePublish, stageMessageOfValue, type StagePublish } from './stage-publish.ts';
import { handedOverDelivery, handedOverValue, type InProcessStage, type InProcessStages } from './hand-over.ts';
import { consumeInPriorityOrder } from './priority-consumer.ts';
import type { Topology } from './topology.ts';

/** What a handler sees besides its message. */
export interface HandlerContext {
  readonly stage: Stage;
  /** 1 on the first delivery of this stage's message, then 2, 3, … on retries. */
  readonly attempt: number;
  /** Aborted when the job is cancelled, the stage deadline passes or the process shuts down. */
  readonly signal: AbortSignal;
  readonly logger: Logger;
  /** Reports progress within the stage (0..1); mapped onto the job's overall progress. */
  progress(fraction: number, message?: string): Promise<void>;
}

/**
 * A handler's result: the next stage's message, or the job's final state (the index stage's, or
 * the parse stage's for a document found unchanged) with its event's note ("indexed" by default).
 */
export type StageResult = { readonly next: unknown } | { readonly done: Job; readonly note?: string };

/** One actor: its stage, its message contract and its business logic. */
export interface StageActor<M> {
  readonly stage: Stage;
  parse(value: unknown): M;
  jobOf(message: M): JobRef;
  handle(message: M, context: HandlerContext): Promise<StageResult>;
}

/** Options of the runtime; their defaults live in config/config.ts. */
export interface ActorRuntimeOptions {
  /** Unacked deliveries per consumer; small so that priority decides what runs next (config: PREFETCH). */
  readonly prefetch: number;
  /** A handler running longer than this is aborted and the attempt fails, retryably (config: STAGE_TIMEOUT_MS). */
  readonly stageTimeoutMs: number;
}

export interface ActorDependencies {
  readonly broker: Broker;
  readonly names: Topology;
  readonly store: Store;
  readonly events: JobEventPublisher;
  readonly cancellation: CancellationRegistry;
  readonly retry: RetryPolicy;
  readonly logger: Logger;
}

/** How long a delivery whose next stage is full waits before going back to its queue. */
const REJECTED_REQUEUE_DELAY_MS = 1000;
/**
 * Pause before returning a delivery whose outcome could not be recorded (broker down or blocking,
 * a store call that threw), so an outage does not spin the message in a tight loop.
 */
const FAILURE_REQUEUE_DELAY_MS = 1000;
/**
 * How old the job row a stage was handed may be for that stage to start without writing (see
 * startsUnrecorded): bounds how far `job(id)` lags, and keeps the row changing at least once per
 * stage deadline plus this, far inside the stall watchdog's timeout.
 */
const UNRECORDED_START_MAX_AGE_MS = 1000;

export class ActorRuntime<M> implements InProcessStage {
  private consumer: { cancel(): Promise<void> } | null = null;
  /** The actors of other stages in this process, which take work in process when they have room. */
  private neighbours: InProcessStages = () => undefined;
  private readonly inFlight = new Set<Promise<void>>();
  /** The signals of the handlers running now: aborted if a shutdown's grace period runs out. */
  private readonly running = new Set<StageSignal>();
  /** Set when that grace period ran out: a handler starting after it is aborted at once. */
  private abortedByShutdown = false;
  private readonly prefetch: number;
  private readonly stageTimeoutMs: number;
  // Time-weighted in-flight count since the last utilisation() call (for the autoscaler).
  private busyIntegral = 0;
  private busyChangedAt = Date.now();
  private busySince = Date.now();

  constructor(private readonly actor: StageActor<M>, private readonly deps: ActorDependencies, options: ActorRuntimeOptions) {
    this.prefetch = options.prefetch;
    this.stageTimeoutMs = options.stageTimeoutMs;
  }

  start(): void {
    const queues = this.deps.names.stageQueues(this.actor.stage);
    this.consumer = consumeInPriorityOrder(this.deps.broker, queues, this.prefetch, (message, channel, queue) =>
      this.run(Settlement.fromBroker(channel, message), queue));
  }

  /** Lets this actor hand its results to the actors of later stages running in the same process. */
  handOverTo(neighbours: InProcessStages): void {
    this.neighbours = neighbours;
  }

  hasRoom(): boolean {
    return this.consumer !== null && this.inFlight.size < this.prefetch;
  }

  /** A message handed over by the stage before, run like a delivery; queued if it has to go back. */
  async takeOver(message: ConsumeMessage, publish: StagePublish, job: Job): Promise<void> {
    // Queued as it would have been published, with the headers it runs with (the trace context).
    const settlement = Settlement.handedOver(message, () => sendStagePublish(this.deps.broker, {
      ...publish, options: { ...publish.options, headers: message.properties.headers },
    }));
    await this.run(settlement, this.deps.names.stageQueues(this.actor.stage)[0]!, job);
    await settlement.ended;
  }

  /** `handedJob`: the job as the stage that handed this message over left it (none from the broker). */
  private run(settlement: Settlement, queue: string, handedJob?: Job): Promise<void> {
    const work = tracedDelivery(this.actor.stage, queue, settlement.message, () => this.deliver(settlement, handedJob))
      .catch((error) => this.deps.logger.error('delivery handling failed; returning the message to its queue', { error: errorMessage(error) }))
      .then(() => { if (!settlement.settled) return this.returnLater(settlement); });
    this.trackBusy();
    this.inFlight.add(work);
    return work.finally(() => { this.trackBusy(); this.inFlight.delete(work); });
  }

  /** Mean share of the prefetch window in use since the previous call (0..1): consumer utilisation. */
  utilisation(): number {
    this.trackBusy();
    const elapsed = Date.now() - this.busySince;
    const value = elapsed > 0 ? this.busyIntegral / (elapsed * this.prefetch) : this.inFlight.size / this.prefetch;
    this.busyIntegral = 0;
    this.busySince = Date.now();
    return Math.min(1, value);
  }

  private trackBusy(): void {
    const now = Date.now();
    this.busyIntegral += this.inFlight.size * (now - this.busyChangedAt);
    this.busyChangedAt = now;
  }

  /** Stops consuming, lets in-flight messages finish for up to `graceMs`, then aborts them. */
  async stop(graceMs: number): Promise<void> {
    await this.consumer?.cancel();
    this.consumer = null;
    const all = Promise.allSettled([...this.inFlight]);
    const timedOut = await Promise.race([all.then(() => false), sleep(graceMs).then(() => true)]);
    if (timedOut) {
      this.abortedByShutdown = true;
      for (const handler of this.running) handler.abort('shutdown', shuttingDown());
      await all;
    }
  }

  private async deliver(settlement: Settlement, handedJob: Job | undefined): Promise<void> {
    const { stage } = this.actor;
    const { message } = settlement;
    const attempt = attemptOf(message);
    let raw: unknown;
    let parsed: M;
    const handed = handedOverValue(message);
    if (handed) raw = handed.value;
    else {
      try {
        raw = JSON.parse(message.content.toString('utf8'));
      } catch {
        return this.poison(settlement, null, new ContractError('body', 'not valid JSON'));
      }
    }
    try {
      parsed = this.actor.parse(raw);
    } catch (error) {
      return this.poison(settlement, jobIdIn(raw), error);
    }
    const ref = this.actor.jobOf(parsed);
    const logger = this.deps.logger.child({ jobId: ref.jobId, stage, attempt });
    annotateDelivery(ref, attempt);
    const [start, end] = STAGE_PROGRESS[stage];
    let job: Job;
    if (this.startsUnrecorded(handedJob, ref.jobId, attempt)) {
      // Continues a chain whose first delivery asked the store; a cancel signalled since is
      // remembered by the registry and aborts this stage at once (and the index write skips a
      // cancelled job whatever happens).
      job = handedJob;
    } else {
      // A cancel remembered from an earlier run must not abort a job retried since: the store check
      // below is the authority from here on (the gateway writes CANCELLED before it signals).
      if (!handedJob) this.deps.cancellation.forget(ref.jobId);
      // One conditional write answers everything: unknown (null), already finished (returned as it is,
      // since the store never changes a terminal job), or now RUNNING in this stage.
      const started = await this.deps.store.updateJob(ref.jobId, { status: 'RUNNING', stage, attempts: attempt, progress: start });
      if (!started) return this.poison(settlement, null, new ContractError('job.jobId', `job ${ref.jobId} is unknown to the store`));
      if (isTerminal(started.status)) return this.dropFinished(settlement, started, logger);
      // Redeliveries (after a crash or a lost connection) are reported in the event, so they can be counted.
      const note = `${stage} ${attempt > 1 ? `attempt ${attempt}` : 'started'}${message.fields.redelivered ? ' (redelivered)' : ''}`;
      await this.deps.events.publish(started, note);
      job = started;
    }

    const stageSignal = new StageSignal(this.stageTimeoutMs);
    const { signal } = stageSignal;
    const cancel = this.deps.cancellation.register(job.id, stageSignal);
    this.running.add(stageSignal);
    if (this.abortedByShutdown) stageSignal.abort('shutdown', shuttingDown());
    const context: HandlerContext = {
      stage, attempt, signal, logger,
      progress: async (fraction, note) => {
        // With the stage: its start may not have been written (startsUnrecorded).
        const updated = await this.deps.store.updateJob(job.id, { stage, progress: start + (end - start) * clamp(fraction) });
        if (updated && !isTerminal(updated.status)) await this.deps.events.publish(updated, note ?? null);
      },
    };
    try {
      // A handler that ignores its signal must not hold the message forever: stop waiting for it on abort.
      const result = await tracedHandle(stage, attempt, () => stageSignal.race(this.actor.handle(parsed, context)));
      signal.throwIfAborted();
      if ('done' in result) {
        await this.deps.events.publish(result.done, result.note ?? (result.done.status === 'SUCCEEDED' ? 'indexed' : null));
        markOutcome('processed');
        recordSearchable(result.done);
        return settlement.ack();
      }
      const following = nextStage(stage);
      if (!following) throw new Error(`${stage} returned a next message but is the last stage`);
      try {
        await this.handOn(following, stageMessageOfValue(this.deps.names, {
          stage: following, jobId: job.id, priority: ref.priority, headers: carriedHeaders(message.properties.headers),
        }, result.next), job);
      } catch (error) {
        if (!(error instanceof BrokerUnavailableError || error instanceof BrokerBlockedError)) throw error;
        // The work succeeded but its result could not be handed on: not the handler's fault, so no
        // attempt is spent; the message goes back and runs again (every stage is idempotent).
        logger.warn('next stage not published; returning the message', { error: error.message });
        return this.returnLater(settlement);
      }
      // No store write for "stage done": the next stage's start records the same progress, and
      // every write here contends for the one SQLite writer with every other actor (issue 6 bench).
      markOutcome('processed');
      return settlement.ack();
    } catch (error) {
      if (error instanceof BrokerRejectedError) {
        // The next stage's queue is full: hold this delivery a moment (its prefetch slot slows
        // this stage down too), then return it to its queue. Not an attempt: nothing failed.
        logger.warn('next stage queue is full; returning the message to its queue', { error: error.message });
        await sleep(REJECTED_REQUEUE_DELAY_MS);
        return settlement.requeue();
      }
      const { cause } = stageSignal;
      if (cause === 'shutdown') return settlement.requeue(); // return it to the queue
      const reason = cause === 'cancelled' ? new CancelledError() :
        cause === 'deadline' ? new Error(`${stage} exceeded its deadline of ${this.stageTimeoutMs} ms`) : error;
      return this.failed(settlement, job, attempt, reason, logger);
    } finally {
      cancel.release();
      stageSignal.release();
      this.running.delete(stageSignal);
    }
  }

  /** To the next stage's actor in this process if it has room, else (with confirm) to its queue. */
  private handOn(stage: Stage, publish: StagePublish, job: Job): Promise<void> {
    const local = this.neighbours(stage);
    if (local?.hasRoom()) return local.takeOver(handedOverDelivery(publish), publish, job);
    return sendStagePublish(this.deps.broker, publish);
  }

  /**
   * Whether a handed-over message starts without writing its stage start to the job row. That
   * write reports progress (`job(id)`, and the `seq` that orders a subscriber's events) and asks
   * the store whether the job still runs; in a chain handed on in process the first delivery asked
   * already. So it is skipped while nobody listens to progress and the row the handing stage left
   * is fresh, running and of this attempt: three job-row writes per document fewer (issue 15).
   * `job(id)` then shows the stage the row last recorded, at most UNRECORDED_START_MAX_AGE_MS plus
   * one stage behind; failures, progress within a stage and the end write the stage they are in.
   */
  private startsUnrecorded(handedJob: Job | undefined, jobId: string, attempt: number): handedJob is Job {
    return handedJob !== undefined && !this.deps.events.eventsWanted && handedJob.id === jobId &&
      handedJob.status === 'RUNNING' && handedJob.attempts === attempt &&
      Date.now() - handedJob.updatedAt.getTime() < UNRECORDED_START_MAX_AGE_MS;
  }

  private async failed(settlement: Settlement, job: Job, attempt: number, error: unknown, logger: Logger): Promise<void> {
    const { stage } = this.actor;
    const { message } = settlement;
    const kind = classify(error);
    const text = errorMessage(error);
    try {
      switch (kind) {
        case 'cancelled':
          logger.info('handler aborted: job cancelled');
          markOutcome('cancelled');
          await this.keepResumePoint(message, job.id);
          return settlement.ack();
        case 'fail': {
          logger.warn('job failed', { error: text });
          await this.keepResumePoint(message, job.id);
          const failed = await this.deps.store.updateJob(job.id, { status: 'FAILED', stage, error: `${stage}: ${text}` });
          if (failed) await this.deps.events.publish(failed, text);
          markOutcome('failed', error);
          return settlement.ack();
        }
        case 'retry':
          if (attempt < this.deps.retry.maxAttempts(stage)) return await this.retry(settlement, job, attempt, text, error, logger);
          return await this.deadLettered(settlement, job, attempt, text, error, logger);
        case 'dead-letter':
          return await this.deadLettered(settlement, job, attempt, text, error, logger);
      }
    } catch (brokerError) {
      logger.warn('could not record the failure; returning the message to its queue', { error: errorMessage(brokerError) });
      return this.returnLater(settlement);
    }
  }

  private async retry(settlement: Settlement, job: Job, attempt: number, text: string, error: unknown, logger: Logger): Promise<void> {
    const { stage } = this.actor;
    const { message } = settlement;
    const delay = this.deps.retry.delayAfter(attempt);
    await this.deps.broker.publish(this.deps.names.retryExchange(delay), this.deps.names.stageKey(stage, message.properties.priority), message.content, {
      ...message.properties,
      headers: retryHeaders(message, attempt + 1, text),
    });
    logger.warn('attempt failed; retrying', { error: text, delayMs: delay });
    const retrying = await this.deps.store.updateJob(job.id, { stage, error: `${stage}: ${text}` });
    if (retrying) await this.deps.events.publish(retrying, `attempt ${attempt} failed (${text}); retry in ${delay} ms`);
    markOutcome('retried', error);
    return settlement.ack();
  }

  private async deadLettered(settlement: Settlement, job: Job, attempt: number, text: string, error: unknown, logger: Logger): Promise<void> {
    const { stage } = this.actor;
    const { message } = settlement;
    await this.deadLetter(message, job.id, attempt, text);
    logger.error('dead-lettered', { error: text });
    // Also kept in the store: retryJob still works if the dead-letter queue was purged.
    await this.keepResumePoint(message, job.id);
    const dead = await this.deps.store.updateJob(job.id, { status: 'DEAD_LETTERED', stage, error: `${stage}: ${text}` });
    if (dead) await this.deps.events.publish(dead, text);
    markOutcome('dead_lettered', error);
    return settlement.ack();
  }

  /**
   * A message of a job that is already terminal is dropped. FAILED and CANCELLED jobs keep it as
   * their resume point (a stalled or cancelled job can then be retried from here); the job's
   * current state is published again so that a subscriber waiting for the end sees it even if
   * the process that finished the job died before its event went out.
   */
  private async dropFinished(settlement: Settlement, job: Job, logger: Logger): Promise<void> {
    const { message } = settlement;
    logger.info('dropping message of a finished job', { status: job.status });
    if (job.status === 'FAILED' || job.status === 'CANCELLED') await this.keepResumePoint(message, job.id);
    await this.deps.events.publish(job, message.fields.redelivered ? `${this.actor.stage} redelivered after the job ended: dropped` : null);
    return settlement.ack();
  }

  private async keepResumePoint(message: ConsumeMessage, jobId: string): Promise<void> {
    await this.deps.store.saveResumePoint({ jobId, stage: this.actor.stage, message: message.content.toString('utf8') });
  }

  /** Nack with requeue after a pause, so a broker outage or a failing store does not spin the message in a tight loop. */
  private async returnLater(settlement: Settlement): Promise<void> {
    await sleep(FAILURE_REQUEUE_DELAY_MS);
    return settlement.requeue();
  }

  /** A message that can never be handled: dead-lettered unchanged, its job (if known) DEAD_LETTERED. */
  private async poison(settlement: Settlement, jobId: string | null, error: unknown): Promise<void> {
    const { message } = settlement;
    const text = errorMessage(error);
    try {
      await this.deadLetter(message, jobId, attemptOf(message), text);
      this.deps.logger.error('poison message dead-lettered', { stage: this.actor.stage, jobId, error: text });
      if (jobId) {
        const dead = await this.deps.store.updateJob(jobId, { status: 'DEAD_LETTERED', stage: this.actor.stage, error: `${this.actor.stage}: ${text}` });
        if (dead) await this.deps.events.publish(dead, text);
      }
      markOutcome('dead_lettered', error);
      return settlement.ack();
    } catch (brokerError) {
      this.deps.logger.warn('could not dead-letter; returning the message to its queue', { error: errorMessage(brokerError) });
      return this.returnLater(settlement);
    }
  }

  private async deadLetter(message: ConsumeMessage, jobId: string | null, attempt: number, error: string): Promise<void> {
    const { stage } = this.actor;
    await this.deps.broker.publish(this.deps.names.deadExchange, this.deps.names.deadKey(stage), message.content, {
      ...message.properties,
      headers: deadLetterHeaders(message, { stage, jobId, attempt, error }),
    });
  }
}

function jobIdIn(raw: unknown): string | null {
  const job = (raw as { job?: { jobId?: unknown } } | null)?.job;
  return typeof job?.jobId === 'string' ? job.jobId : null;
}

function clamp(value: number): number {
  return Math.min(1, Math.max(0, value));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

function shuttingDown(): Error {
  return new Error('shutting down');
}
