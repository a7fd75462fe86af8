/**
 * Faults of the broker itself: connections force-closed mid-burst, the RabbitMQ application
 * stopped and started mid-burst, and a memory alarm that blocks publishers. Each is undone in a
 * `finally` at once (other test runs may share this broker) and ends with the ledger check.
 */
import assert from 'node:assert/strict';
import { gql } from '../support/graphql-client.ts';
import { BURST, Ledger } from '../support/ledger.ts';
import { closeConnections, memoryWatermark, rabbitmqctl, waitForBroker } from '../support/rabbitmqctl.ts';
import { StepLog } from '../support/step-log.ts';
import { startTestSystem, type TestSystem } from '../support/test-system.ts';

describe('fault: broker connections and alarms', function () {
  this.timeout(120_000);
  let system: TestSystem;

  before(async () => { system = await startTestSystem(); });
  after(async () => { await system?.stop(); });

  async function connected(): Promise<void> {
    const deadline = Date.now() + 30_000;
    const health = system.url.replace(/\/graphql$/, '/healthz');
    while ((await fetch(health)).status !== 200) {
      if (Date.now() > deadline) throw new Error('the gateway did not reconnect');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  it('when the broker force-closes every connection mid-burst, should reconnect, re-declare, resume and lose nothing', async () => {
    const ledger = await Ledger.open('connections closed', system.names);
    try {
      const first = ledger.burst(system.url, BURST, 'closed-a');
      const closed = await closeConnections(system.names.namespace);
      const closedAt = Date.now();
      assert.ok(closed >= 2, `closed the gateway's and the actors' connections (${closed})`);
      await first;
      await ledger.burst(system.url, BURST, 'closed-b');
      await connected();
      await ledger.measureRecovery(system.url, system.store, closedAt);
      const report = await ledger.check(system.store);
      assert.ok(report.accepted >= BURST, `most of the burst was accepted: ${JSON.stringify(report)}`);
    } finally {
      await ledger.close();
    }
  });

  it('when the RabbitMQ application stops and starts mid-burst, should recover on its own and lose no accepted job', async () => {
    const ledger = await Ledger.open('stop_app/start_app', system.names);
    try {
      const first = ledger.burst(system.url, BURST, 'restart-a');
      let restoredAt = 0;
      try {
        await rabbitmqctl('stop_app');
        // While it is down, ingest keeps accepting into the outbox (up to MAX_UNPUBLISHED_JOBS),
        // answering at once; the ledger then checks these jobs succeed once the broker is back.
        for (let index = 0; index < 3; index += 1) {
          const started = Date.now();
          const id = await ledger.ingest(system.url, { collection: 'faults', text: `During the outage ${index}: lighthouses.` });
          assert.ok(id, 'accepted while the broker is down');
          assert.ok(Date.now() - started < system.config.publishTimeoutMs, `answered without waiting for the broker (${Date.now() - started} ms)`);
        }
      } finally {
        await rabbitmqctl('start_app');
        await waitForBroker();
        restoredAt = Date.now();
      }
      await first;
      await connected();
      await ledger.measureRecovery(system.url, system.store, restoredAt);
      await ledger.burst(system.url, BURST, 'restart-b');
      await ledger.check(system.store);
    } finally {
      await ledger.close();
    }
  });

  it('when a memory alarm blocks publishers, should answer BACKPRESSURE with a retry hint promptly and resume after it clears', async function () {
    // Each step below has a bound of its own; the log names the one a rare timeout waited in.
    const log = new StepLog('memory alarm');
    const stopReporting = log.reportAfter(this.timeout() - 2_000);
    const ledger = await Ledger.open('memory alarm', system.names);
    const original = await log.step('read the watermark', () => memoryWatermark());
    try {
      await log.step('burst before the alarm', () => ledger.burst(system.url, Math.max(4, BURST / 4), 'alarm-before'));
      let code: string | undefined;
      let retryAfter: number | undefined;
      let elapsed = 0;
      let statsAnswer: { ms: number; code: unknown } | undefined;
      try {
        await log.step('raise the alarm', () => rabbitmqctl('set_vm_memory_high_watermark', '0.0000001'));
        await log.step('ingest until BACKPRESSURE', async () => {
          const deadline = Date.now() + 20_000;
          while (code !== 'BACKPRESSURE' && Date.now() < deadline) {
            const started = Date.now();
            // Bounded, so that the alarm is cleared (finally, below) even if the gateway never answers.
            const result = await gql(system.url, 'mutation { ingestDocument(input: { collection: "faults", text: "Blocked?" }) { id } }', {}, {}, AbortSignal.timeout(10_000));
            elapsed = Date.now() - started;
            code = result.errors?.[0]?.extensions?.code;
            retryAfter = result.errors?.[0]?.extensions?.retryAfterSeconds;
            if (!code && result.data?.ingestDocument?.id) ledger.accepted.set(result.data.ingestDocument.id, '?');
          }
        });
        // A blocked connection is not read from: a channel asked for on it would come only after the alarm.
        await log.step('read queue statistics while blocked', async () => {
          const started = Date.now();
          const result = await gql(system.url, '{ queues { stage ready } }', {}, {}, AbortSignal.timeout(10_000));
          statsAnswer = { ms: Date.now() - started, code: result.errors?.[0]?.extensions?.code };
        });
      } finally {
        await log.step('clear the alarm', () => rabbitmqctl('set_vm_memory_high_watermark', original));
      }
      assert.equal(code, 'BACKPRESSURE');
      assert.ok(typeof retryAfter === 'number' && retryAfter > 0, 'a retry-after hint');
      assert.ok(elapsed < system.config.publishTimeoutMs, `answered promptly (${elapsed} ms)`);
      assert.equal(statsAnswer?.code, 'BACKPRESSURE', `queue statistics refused while blocked: ${JSON.stringify(statsAnswer)}`);
      assert.ok(statsAnswer.ms < system.config.publishTimeoutMs, `and at once (${statsAnswer.ms} ms)`);
      const restoredAt = Date.now();
      await log.step('recover', () => ledger.measureRecovery(system.url, system.store, restoredAt));
      // Jobs accepted just before the block answered are checked by id; their document ids are unknown here.
      for (const [id, documentId] of ledger.accepted) {
        if (documentId === '?') ledger.accepted.set(id, (await system.store.getJob(id))!.documentId);
      }
      await log.step('settle and check', () => ledger.check(system.store));
    } finally {
      await log.step('close the ledger', () => ledger.close());
      stopReporting();
    }
  });
});
