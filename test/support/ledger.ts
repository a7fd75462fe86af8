/**
 * The fault tests' ledger: which jobs the gateway accepted, and what the store holds for them at
 * the end. lost = accepted jobs that did not end as expected (SUCCEEDED, or DEAD_LETTERED/FAILED
 * when injected as poison) or succeeded without their chunks; duplicates = chunks stored beyond a
 * job's chunk count; redeliveries = job events reporting a redelivered message (counted on a
 * queue of the ledger's own, bound through a reconnecting Broker so broker faults do not stop it).
 */
import assert from 'node:assert/strict';
import { isTerminal } from '../../schema/domain.ts';
import { silentLogger } from '../../observability/logger.ts';
import { parseJobEvent } from '../../schema/messages/job-event.ts';
import { Broker } from '../../messaging/broker.ts';
import { listenToEvents } from '../../messaging/event-listener.ts';
import type { Topology } from '../../messaging/topology.ts';
import type { Store } from '../../stores/store.ts';
import { gql, type GraphQLResponse } from './graphql-client.ts';
import type { DocumentServer } from './document-server.ts';
import { AMQP_URL } from './test-system.ts';
import { defaultConfig } from '../../config/config.ts';
import { toApiErrors } from '../../cli/graphql-client.ts';
import { nothingDoneWait } from '../../cli/send-when-accepted.ts';

/** What one fault run did to the accepted jobs. */
export interface LedgerReport {
  readonly fault: string;
  readonly accepted: number;
  /** Ingest calls answered with an error (UNAVAILABLE, BACKPRESSURE): never reported as accepted. */
  readonly rejected: number;
  readonly succeeded: number;
  readonly deadLettered: number;
  readonly failed: number;
  readonly lost: number;
  readonly duplicates: number;
  readonly redeliveries: number;
  /** From the end of the fault until a job accepted after it succeeded (null when not measured). */
  readonly recoveryMs: number | null;
}

const INGEST = 'mutation($input: IngestInput!) { ingestDocument(input: $input) { id documentId } }';
/** How often an ingest refused with BACKPRESSURE and nothing done is sent again before it counts as refused. */
const BACKPRESSURE_RETRIES = 5;

/** Burst size: small for `npm test`, larger for `npm run chaos` (CHAOS_BURST). */
export const BURST = Number(process.env.CHAOS_BURST ?? 20);

export class Ledger {
  readonly accepted = new Map<string, string>(); // job id → document id
  /** Jobs expected to end DEAD_LETTERED or FAILED (poison injected on purpose). */
  readonly poison = new Set<string>();
  rejected = 0;
  recoveryMs: number | null = null;
  private redeliveries = 0;

  private constructor(
    readonly fault: string,
    private readonly broker: Broker,
    private readonly listener: { stop(): Promise<void> },
    private readonly documents: DocumentServer | null,
  ) {}

  /**
   * `url`: the broker (or a cluster's comma-separated nodes) the system under test uses.
   * `documents`: send every document by URL from this server, so each job passes the fetch stage
   * (inline text starts at the parse stage).
   */
  static async open(fault: string, names: Topology, url = AMQP_URL, documents: DocumentServer | null = null): Promise<Ledger> {
    const broker = new Broker({ url, name: `${names.namespace} ledger`, publishTimeoutMs: defaultConfig().publishTimeoutMs, logger: silentLogger });
    let ledger: Ledger | null = null;
    const listener = await listenToEvents(broker, names, 'ledger', ['job.#'], (message) => {
      try {
        const event = parseJobEvent(JSON.parse(message.content.toString('utf8')));
        if (event.message?.includes('redelivered') && ledger) ledger.redeliveries += 1;
      } catch { /* not an event */ }
    });
    await broker.start();
    ledger = new Ledger(fault, broker, listener, documents);
    return ledger;
  }

  /** The IngestInput fields that send `text`: inline, or by URL when the ledger has a document server. */
  source(text: string): { text: string } | { url: string } {
    return this.documents ? { url: this.documents.urlOf(text) } : { text };
  }

  /** Ingests `count` distinct documents concurrently; accepted jobs are recorded, refusals counted. */
  async burst(url: string, count: number, label: string, extra: Record<string, unknown> = {}): Promise<string[]> {
    const ids = await Promise.all(Array.from({ length: count }, (_, index) => this.ingest(url, {
      collection: 'faults',
      ...this.source(`# ${label} ${index}\n\nDocument ${index} of the ${label} burst talks about ${WORDS[index % WORDS.length]} and ${WORDS[(index * 7 + 3) % WORDS.length]}.`),
      ...extra,
    })));
    return ids.filter((id): id is string => id !== null);
  }

  /**
   * One ingest; returns the job id if accepted, null if refused with an error. A refusal with
   * BACKPRESSURE that did nothing (a gateway too busy to start the mutation within
   * MAX_MUTATION_WAIT_MS, as a burst of 20 on a loaded machine can meet) is sent again after the
   * hinted wait by the CLI's rule (cli/send-when-accepted.ts), up to BACKPRESSURE_RETRIES times.
   */
  async ingest(url: string, input: Record<string, unknown>): Promise<string | null> {
    for (let attempt = 0; ; attempt += 1) {
      const result: GraphQLResponse = await gql(url, INGEST, { input }).catch(() => ({ errors: [{ message: 'gateway unreachable' }] }));
      const job = (result as { data?: { ingestDocument?: { id: string; documentId: string } } }).data?.ingestDocument;
      if (job) {
        this.accepted.set(job.id, job.documentId);
        return job.id;
      }
      const waitSeconds = nothingDoneWait(toApiErrors(result.errors ?? []));
      if (waitSeconds === null || attempt >= BACKPRESSURE_RETRIES) { this.rejected += 1; return null; }
      await new Promise((resolve) => setTimeout(resolve, waitSeconds * 1000));
    }
  }

  /** Polls until a job accepted now succeeds: how long the system took to work again. */
  async measureRecovery(url: string, store: Store, since: number, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const id = await this.ingest(url, { collection: 'faults', ...this.source(`Recovery probe ${Date.now()} about lighthouses.`) });
      if (id) {
        await this.settle(store, Math.max(1000, deadline - Date.now()), [id]);
        this.recoveryMs = Date.now() - since;
        return;
      }
      if (Date.now() > deadline) throw new Error(`the system did not accept a job within ${timeoutMs} ms after the fault`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  /** Waits until every accepted job (or `only`) is terminal; throws naming the stragglers. */
  async settle(store: Store, timeoutMs = 60_000, only?: readonly string[]): Promise<void> {
    const ids = only ?? [...this.accepted.keys()];
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const open: string[] = [];
      for (const id of ids) {
        const job = await store.getJob(id);
        if (!job || !isTerminal(job.status)) open.push(`${id}:${job?.status ?? 'missing'}@${job?.stage ?? '-'}`);
      }
      if (open.length === 0) return;
      if (Date.now() > deadline) throw new Error(`${open.length} jobs not terminal after ${timeoutMs} ms: ${open.slice(0, 5).join(', ')}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async report(store: Store): Promise<LedgerReport> {
    let succeeded = 0, deadLettered = 0, failed = 0, lost = 0, duplicates = 0;
    for (const [id, documentId] of this.accepted) {
      const job = await store.getJob(id);
      if (job?.status === 'DEAD_LETTERED') deadLettered += 1;
      if (job?.status === 'FAILED') failed += 1;
      if (this.poison.has(id)) {
        if (job?.status !== 'DEAD_LETTERED' && job?.status !== 'FAILED') lost += 1;
        continue;
      }
      if (job?.status !== 'SUCCEEDED') { lost += 1; continue; }
      succeeded += 1;
      const stored = await store.countChunks(job.collection, documentId);
      if (stored === 0 || job.chunkCount === null) lost += 1;
      else duplicates += Math.max(0, stored - job.chunkCount);
    }
    const report: LedgerReport = {
      fault: this.fault, accepted: this.accepted.size, rejected: this.rejected, succeeded, deadLettered, failed, lost, duplicates,
      redeliveries: this.redeliveries, recoveryMs: this.recoveryMs,
    };
    if (process.env.CHAOS_REPORT) console.log(`ledger ${JSON.stringify(report)}`);
    return report;
  }

  /**
   * The redeliveries reported so far, once at least `atLeast` have been or `timeoutMs` has passed:
   * the event of a redelivered message comes through the broker, and may arrive after the jobs it
   * concerns have settled in the store.
   */
  async redeliveriesSeen(atLeast: number, timeoutMs = 10_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (this.redeliveries < atLeast && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    return this.redeliveries;
  }

  /** Settles, reports, and asserts nothing was lost or duplicated. */
  async check(store: Store, timeoutMs = 60_000): Promise<LedgerReport> {
    await this.settle(store, timeoutMs);
    const report = await this.report(store);
    assert.equal(report.lost, 0, `lost jobs: ${JSON.stringify(report)}`);
    assert.equal(report.duplicates, 0, `duplicate chunks: ${JSON.stringify(report)}`);
    return report;
  }

  async close(): Promise<void> {
    await this.listener.stop().catch(() => {});
    await this.broker.close();
  }
}

const WORDS = ['otters', 'glaciers', 'lanterns', 'orchards', 'comets', 'harbours', 'ferns', 'violins', 'deserts', 'beetles', 'tides'];
