/**
 * Queries overtake mutations. A gateway's event loop serves both, and under an ingest burst each
 * of its turns ran every in-flight mutation's next step before a waiting query's: with 64 clients
 * ingesting, a search waited there tens of ms at each hop. So at most MAX_RUNNING_MUTATIONS
 * mutations execute at once in a gateway; the others wait their turn in arrival order, once parsed
 * and validated, holding nothing but their request, and past MAX_WAITING_MUTATIONS waiting a
 * mutation is refused at once with BACKPRESSURE. Queries and subscriptions never wait here.
 */
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { metrics, type BatchObservableResult } from '@opentelemetry/api';
import { execute, getOperationAST, type ExecutionArgs, type ExecutionResult } from 'graphql';
import { ErrorCode, apiError } from './errors.ts';
import { METER_NAME, pipelineMetrics } from '../observability/metrics.ts';

/** The hint a refused mutation carries: the gate drains in well under a second. */
const RETRY_AFTER_SECONDS = 1;

/** Thrown by enter() when the waiting line is full. */
export class GateFullError extends Error {
  constructor(readonly waiting: number) {
    super(`${waiting} mutations are waiting in this gateway (MAX_WAITING_MUTATIONS); nothing was done: retry after ${RETRY_AFTER_SECONDS} s`);
  }
}

export class MutationGate {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  /** `limit`: MAX_RUNNING_MUTATIONS; `maxWaiting`: MAX_WAITING_MUTATIONS. */
  constructor(readonly limit: number, readonly maxWaiting: number) {}

  /** Resolves once this caller may run, or throws GateFullError at once; every resolved call is paired with one leave(). */
  enter(): Promise<void> {
    if (this.running < this.limit) {
      this.running += 1;
      return Promise.resolve();
    }
    if (this.waiting.length >= this.maxWaiting) return Promise.reject(new GateFullError(this.waiting.length));
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  leave(): void {
    const next = this.waiting.shift();
    // The slot passes straight to the next in line, so a newcomer cannot take it first.
    if (next) next();
    else this.running -= 1;
  }

  /** Runs `work` once this caller may, and gives the slot back however it ends. */
  async run<T>(work: () => T | Promise<T>): Promise<T> {
    await this.enter();
    try {
      return await work();
    } finally {
      this.leave();
    }
  }

  /** Mutations running and waiting now. */
  load(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }
}

/** The API error for a full gate: BACKPRESSURE, as for a full backlog. */
function refusal(error: GateFullError, extensions: Record<string, unknown> = {}) {
  pipelineMetrics().mutationsRefused.add(1);
  return apiError(ErrorCode.BACKPRESSURE, error.message, { retryAfterSeconds: RETRY_AFTER_SECONDS, acceptedJobIds: [], ...extensions });
}

/** Apollo (HTTP): holds each mutation at the gate from its resolved operation until its response is ready. */
export function mutationGatePlugin<C extends BaseContext>(gate: MutationGate): ApolloServerPlugin<C> {
  return {
    async requestDidStart() {
      let holding = false;
      return {
        async didResolveOperation({ operation }) {
          if (operation?.operation !== 'mutation') return;
          try {
            await gate.enter();
          } catch (error) {
            // A refusal like the resolvers' BACKPRESSURE: 200 with the error, not Apollo's 500 for a plugin's.
            throw error instanceof GateFullError ? refusal(error, { http: { status: 200 } }) : error;
          }
          holding = true;
        },
        // Apollo calls it for every response once the operation resolved, errors included.
        async willSendResponse() {
          if (!holding) return;
          holding = false;
          gate.leave();
        },
      };
    },
  };
}

/** graphql-ws's `execute`, with each mutation run through the gate as over HTTP. */
export function gatedExecute(gate: MutationGate) {
  return async (args: ExecutionArgs): Promise<ExecutionResult> => {
    if (getOperationAST(args.document, args.operationName)?.operation !== 'mutation') return execute(args) as ExecutionResult;
    try {
      return await gate.run(() => execute(args) as ExecutionResult);
    } catch (error) {
      if (error instanceof GateFullError) return { errors: [refusal(error)] };
      throw error;
    }
  };
}

/** The gate's load as gauges, read when metrics are collected; returns their removal. */
export function registerMutationGauges(gate: MutationGate): () => void {
  const meter = metrics.getMeter(METER_NAME);
  const running = meter.createObservableGauge('rag.gateway.mutations.running', { description: 'Mutations executing in this gateway (at most MAX_RUNNING_MUTATIONS)' });
  const waiting = meter.createObservableGauge('rag.gateway.mutations.waiting', { description: 'Mutations waiting their turn in this gateway (at most MAX_WAITING_MUTATIONS)' });
  const callback = (result: BatchObservableResult) => {
    const load = gate.load();
    result.observe(running, load.running);
    result.observe(waiting, load.waiting);
  };
  meter.addBatchObservableCallback(callback, [running, waiting]);
  return () => meter.removeBatchObservableCallback(callback, [running, waiting]);
}
