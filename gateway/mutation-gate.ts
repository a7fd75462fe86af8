/**
 * Queries overtake mutations. A gateway's event loop serves both, and under an ingest burst each
 * of its turns ran every in-flight mutation's next step before a waiting query's: with 64 clients
 * ingesting, a search waited there tens of ms at each hop. So at most MAX_RUNNING_MUTATIONS
 * mutations execute at once in a gateway; the others wait their turn in arrival order, once parsed
 * and validated, holding nothing but their request. A mutation is refused with BACKPRESSURE, nothing
 * done, at once past MAX_WAITING_MUTATIONS waiting, and when its turn has not come within
 * MAX_MUTATION_WAIT_MS: under overload a client hears "retry" in milliseconds instead of an answer
 * that grows with the line. Queries and subscriptions never wait here.
 */
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { metrics, type BatchObservableResult } from '@opentelemetry/api';
import { execute, getOperationAST, type ExecutionArgs, type ExecutionResult } from 'graphql';
import { ErrorCode, apiError } from './errors.ts';
import { METER_NAME, pipelineMetrics } from '../observability/metrics.ts';

/** The hint a refused mutation carries: the gate drains in well under a second. */
const RETRY_AFTER_SECONDS = 1;

/** Why enter() refused: the line was full, or the caller's turn did not come in time. Nothing was done. */
export class GateRefusedError extends Error {
  constructor(reason: string) {
    super(`${reason}; nothing was done: retry after ${RETRY_AFTER_SECONDS} s`);
  }
}

export interface MutationGateLimits {
  /** MAX_RUNNING_MUTATIONS: mutations executing at once. */
  readonly running: number;
  /** MAX_WAITING_MUTATIONS: mutations waiting at most; past it a newcomer is refused at once. */
  readonly waiting: number;
  /** MAX_MUTATION_WAIT_MS: the longest a mutation waits for its turn before it is refused (0: no limit). */
  readonly waitMs: number;
}

interface Waiter {
  readonly since: number;
  readonly resolve: () => void;
  readonly reject: (error: GateRefusedError) => void;
}

export class MutationGate {
  private running = 0;
  private readonly waiting: Waiter[] = [];
  /** Set while someone waits and waits are bounded: fires when the longest waiter's time is up. */
  private expiry: NodeJS.Timeout | null = null;

  constructor(readonly limits: MutationGateLimits) {}

  /** Resolves once this caller may run, or throws GateRefusedError; every resolved call is paired with one leave(). */
  enter(): Promise<void> {
    if (this.running < this.limits.running) {
      this.running += 1;
      return Promise.resolve();
    }
    if (this.waiting.length >= this.limits.waiting) {
      return Promise.reject(new GateRefusedError(`${this.waiting.length} mutations are waiting in this gateway (MAX_WAITING_MUTATIONS)`));
    }
    return new Promise((resolve, reject) => {
      this.waiting.push({ since: performance.now(), resolve, reject });
      this.scheduleExpiry();
    });
  }

  leave(): void {
    const next = this.waiting.shift();
    // The slot passes straight to the next in line, so a newcomer cannot take it first.
    if (next) next.resolve();
    else this.running -= 1;
  }

  /**
   * Under overload the line would grow with the backlog and every answer come later; instead a
   * mutation whose turn has not come within MAX_MUTATION_WAIT_MS is refused then, so an answer,
   * acceptance or BACKPRESSURE, never takes much longer than one mutation's own work. Those
   * behind it keep their places: the line is served in order, so the oldest expire first.
   */
  private scheduleExpiry(): void {
    const head = this.waiting[0];
    if (this.expiry !== null || head === undefined || this.limits.waitMs === 0) return;
    this.expiry = setTimeout(() => {
      this.expiry = null;
      const now = performance.now();
      while (this.waiting[0] !== undefined && now - this.waiting[0].since >= this.limits.waitMs) {
        const expired = this.waiting.shift()!;
        expired.reject(new GateRefusedError(`its turn did not come within ${this.limits.waitMs} ms in this gateway (MAX_MUTATION_WAIT_MS; ${this.running} running, ${this.waiting.length} waiting)`));
      }
      this.scheduleExpiry();
    }, Math.max(0, head.since + this.limits.waitMs - performance.now()));
    // A pending expiry must not keep a stopping process alive.
    this.expiry.unref();
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

/** The API error for a mutation the gate refused: BACKPRESSURE, as for a full backlog. */
function refusal(error: GateRefusedError, extensions: Record<string, unknown> = {}) {
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
            throw error instanceof GateRefusedError ? refusal(error, { http: { status: 200 } }) : error;
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
      if (error instanceof GateRefusedError) return { errors: [refusal(error)] };
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
