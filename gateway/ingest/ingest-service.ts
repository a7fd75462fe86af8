/**
 * The write path: record each job as QUEUED together with its first message in one store
 * transaction (the transactional outbox; a URL's message goes to the fetch stage, inline content's
 * straight to the parse stage) and report it as accepted; the outbox relay publishes
 * the message with a broker confirm. So a mutation costs one store write, not a confirm round
 * trip, and no job returned to a client can be lost: the message survives any crash and any
 * broker outage in the store. While the broker is unreachable, ingest keeps accepting until
 * MAX_UNPUBLISHED_JOBS wait in the outbox, then answers UNAVAILABLE; while it blocks publishers
 * (an alarm) or the backlog passes MAX_PENDING_JOBS, BACKPRESSURE. Refused jobs are not recorded.
 */
import { randomUUID } from 'node:crypto';
import { isTerminal, type Job } from '../../schema/domain.ts';
import { SpanKind } from '@opentelemetry/api';
import { ATTR, SPAN } from '../../observability/attributes.ts';
import type { Logger } from '../../observability/logger.ts';
import { inSpan, traceIdOf } from '../../observability/tracing.ts';
import { withTraceContext } from '../../observability/amqp-tracing.ts';
import type { Broker } from '../../messaging/broker.ts';
import { BrokerBlockedError, BrokerUnavailableError } from '../../messaging/broker-errors.ts';
import type { OutboxRelay } from '../../messaging/outbox-relay.ts';
import type { JobEventPublisher } from '../../messaging/job-events.ts';
import { stageMessage } from '../../messaging/stage-publish.ts';
import type { Topology } from '../../messaging/topology.ts';
import type { Store } from '../../stores/store.ts';
import { ErrorCode, apiError, brokerApiError } from '../errors.ts';
import { firstMessage } from './first-message.ts';
import type { IngestPlan } from './ingest-plan.ts';
import type { PendingWorkGauge } from './pending-work-gauge.ts';

export class IngestService {
  constructor(
    private readonly store: Store,
    private readonly broker: Broker,
    private readonly names: Topology,
    private readonly events: JobEventPublisher,
    private readonly logger: Logger,
    private readonly relay: OutboxRelay,
    /** Accepted jobs that may wait in the outbox while the broker is unreachable (config: MAX_UNPUBLISHED_JOBS). */
    private readonly maxUnpublishedJobs: number,
    /** The high-water mark on pending work; none means no limit besides the queue bound. */
    private readonly pending: PendingWorkGauge | null = null,
  ) {}

  /**
   * Accepts every plan or throws; on a broker failure the error lists the jobs accepted before it.
   * A document id is the caller's own within its collection: nothing stored elsewhere is consulted.
   */
  async ingest(plans: readonly IngestPlan[]): Promise<Job[]> {
    await this.checkBroker(plans.length).catch((error: unknown) => { throw this.toApiError(error, []); });
    const admission = await this.pending?.admit(plans.length);
    if (admission && !admission.admitted) {
      throw apiError(ErrorCode.BACKPRESSURE,
        `${admission.pending} jobs are waiting (MAX_PENDING_JOBS); nothing was accepted: retry after ${admission.retryAfterSeconds} s`,
        { retryAfterSeconds: admission.retryAfterSeconds, acceptedJobIds: [] });
    }
    const outcomes = await Promise.allSettled(plans.map((plan) => this.accept(plan)));
    const accepted = outcomes.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
    const failure = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
    if (failure) throw this.toApiError(failure.reason, accepted);
    return accepted;
  }

  async cancel(id: string): Promise<Job> {
    const job = await this.store.getJob(id);
    if (!job) throw apiError(ErrorCode.NOT_FOUND, `job ${id} does not exist`);
    if (isTerminal(job.status)) return job;
    const cancelled = await this.store.updateJob(id, { status: 'CANCELLED', error: 'cancelled by request' });
    if (!cancelled) throw apiError(ErrorCode.NOT_FOUND, `job ${id} does not exist`);
    if (cancelled.status === 'CANCELLED') {
      await this.events.cancel(cancelled);
      await this.events.publish(cancelled, 'cancelled');
    }
    return cancelled;
  }

  /** One job, one trace: its span is the root of everything the job does, its trace id kept on the job. */
  private accept(plan: IngestPlan): Promise<Job> {
    const attributes = { [ATTR.collection]: plan.collection, [ATTR.priority]: plan.priority };
    return inSpan({ name: SPAN.ingest, kind: SpanKind.SERVER, root: true, attributes }, async (span) => {
      const job = await this.acceptTraced(plan, traceIdOf(span));
      span.setAttribute(ATTR.jobId, job.id);
      return job;
    });
  }

  private async acceptTraced(plan: IngestPlan, traceId: string | null): Promise<Job> {
    const id = randomUUID();
    const ref = { jobId: id, collection: plan.collection, documentId: plan.documentId, priority: plan.priority, ...(plan.force ? { force: true } : {}) };
    const { stage, message } = firstMessage(plan, ref);
    // QUEUED at the stage its message waits in: job(id) and the stall watchdog name it.
    const newJob = { id, collection: plan.collection, documentId: plan.documentId, priority: plan.priority, traceId, stage };
    const job = await this.store.acceptJob(newJob, stageMessage(this.names, {
      stage, jobId: id, priority: plan.priority, body: JSON.stringify(message), type: message.type,
      headers: withTraceContext({}),
    }));
    this.relay.notify();
    this.pending?.accepted(1);
    await this.events.publish(job, 'queued');
    return job;
  }

  /**
   * Refuses at once what the broker cannot take soon: nothing while it blocks publishers or
   * refuses messages because their queue is full, and no more than MAX_UNPUBLISHED_JOBS waiting
   * in the outbox while it is unreachable.
   */
  private async checkBroker(count: number): Promise<void> {
    if (this.broker.blocked) throw new BrokerBlockedError(this.broker.blocked, 5);
    const full = this.relay.saturation();
    if (full) throw full;
    if (this.broker.connected) return;
    const waiting = await this.store.countOutbox();
    if (waiting + count > this.maxUnpublishedJobs) {
      throw new BrokerUnavailableError(`RabbitMQ is unreachable and ${waiting} accepted jobs already wait to be published (MAX_UNPUBLISHED_JOBS ${this.maxUnpublishedJobs})`);
    }
  }

  private toApiError(error: unknown, accepted: readonly Job[]) {
    const fromBroker = brokerApiError(error, 'nothing was lost', { acceptedJobIds: accepted.map((job) => job.id) });
    if (fromBroker) return fromBroker;
    this.logger.error('ingest failed', { error: String(error) });
    return error instanceof Error ? error : new Error(String(error));
  }
}
