/**
 * Fault: an actor process dies (SIGKILL) in the middle of its messages, for every stage, a
 * pipeline worker (every stage in one process) mid-chain, and right after the index write but
 * before the ack. Its unacked messages are redelivered to the
 * replacement process; nothing is lost and no chunk is stored twice.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { STAGES, type Stage } from '../../schema/domain.ts';
import { collect, wsClient } from '../support/graphql-client.ts';
import { consumersGone, spawnActor, type ActorProcess } from '../support/actor-process.ts';
import { startDocumentServer, type DocumentServer } from '../support/document-server.ts';
import { BURST, Ledger } from '../support/ledger.ts';
import { startTestSystem, type TestSystem } from '../support/test-system.ts';

describe('fault: actor process killed mid-message', function () {
  this.timeout(120_000);
  let system: TestSystem;
  let documents: DocumentServer;
  const children: ActorProcess[] = [];

  before(async () => {
    documents = await startDocumentServer();
    system = await startTestSystem({ actors: false });
  });
  after(async () => {
    for (const child of children) child.kill('SIGKILL');
    await Promise.all(children.map((child) => child.exited));
    await system?.stop();
    await documents?.close();
  });

  /** Waits until some accepted job is RUNNING in `stage`. */
  async function runningIn(stage: Stage, ids: readonly string[]): Promise<void> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      for (const id of ids) {
        const job = await system.store.getJob(id);
        if (job?.status === 'RUNNING' && job.stage === stage) return;
      }
      if (Date.now() > deadline) throw new Error(`no job reached ${stage}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  for (const stage of STAGES) {
    it(`when the ${stage} actor is killed while handling messages, should redeliver them to its replacement and lose nothing`, async () => {
      // Only documents sent by URL pass the fetch stage; inline text starts at parse.
      const ledger = await Ledger.open(`SIGKILL ${stage}`, system.names, undefined, stage === 'FETCH' ? documents : null);
      try {
        await system.startActors(STAGES.filter((other) => other !== stage));
        const victim = await spawnActor([stage], system.config, system.names, { RAG_TEST_STAGE_DELAY_MS: '300' });
        children.push(victim);
        const ids = await ledger.burst(system.url, BURST, `kill-${stage.toLowerCase()}`);
        assert.equal(ids.length, BURST, 'every job accepted');
        await runningIn(stage, ids);
        victim.kill('SIGKILL');
        const killedAt = Date.now();
        assert.equal((await victim.exited).signal, 'SIGKILL');
        await consumersGone(victim, system.names);
        children.push(await spawnActor([stage], system.config, system.names));
        await ledger.measureRecovery(system.url, system.store, killedAt);
        const report = await ledger.check(system.store);
        assert.equal(report.succeeded, report.accepted);
        assert.ok(await ledger.redeliveriesSeen(1) > 0, `the killed process's unacked messages were redelivered: ${JSON.stringify(report)}`);
      } finally {
        await ledger.close();
        await system.stopActors();
        for (const child of children.splice(0)) { child.kill('SIGKILL'); await child.exited; }
      }
    });
  }

  it('when a pipeline worker (every stage, handing work on in process) is killed mid-chain, should redeliver its first messages to its replacement and lose nothing', async () => {
    const ledger = await Ledger.open('SIGKILL pipeline worker', system.names);
    try {
      const victim = await spawnActor(STAGES, system.config, system.names, { RAG_TEST_STAGE_DELAY_MS: '300' });
      children.push(victim);
      const ids = await ledger.burst(system.url, BURST, 'kill-pipeline');
      assert.equal(ids.length, BURST, 'every job accepted');
      // Embed runs on a message handed over by chunk, whose parse delivery is still unacked.
      await runningIn('EMBED', ids);
      victim.kill('SIGKILL');
      const killedAt = Date.now();
      assert.equal((await victim.exited).signal, 'SIGKILL');
      await consumersGone(victim, system.names);
      children.push(await spawnActor(STAGES, system.config, system.names));
      await ledger.measureRecovery(system.url, system.store, killedAt);
      const report = await ledger.check(system.store);
      assert.equal(report.succeeded, report.accepted);
      assert.ok(await ledger.redeliveriesSeen(1) > 0, `the killed process's unacked messages were redelivered: ${JSON.stringify(report)}`);
    } finally {
      await ledger.close();
      for (const child of children.splice(0)) { child.kill('SIGKILL'); await child.exited; }
    }
  });

  it('when the index actor dies after its store write and before the ack, should drop the redelivery and still tell subscribers', async () => {
    const markerDir = mkdtempSync(path.join(tmpdir(), 'rag-crash-'));
    const marker = path.join(markerDir, 'crashed');
    const ledger = await Ledger.open('SIGKILL after index write', system.names);
    const client = wsClient(system.url);
    try {
      await system.startActors(STAGES.filter((other) => other !== 'INDEX'));
      const crashing = await spawnActor(['INDEX'], system.config, system.names, { RAG_TEST_CRASH_AFTER_INDEX: marker });
      children.push(crashing);
      const [first] = await ledger.burst(system.url, 1, 'crash-first');
      const watched = collect(client, 'subscription($id: ID!) { jobProgress(id: $id) { status } }', { id: first! }, 30_000);
      assert.equal((await crashing.exited).signal, 'SIGKILL', 'the index actor crashed after writing');
      assert.ok(existsSync(marker));
      const written = await system.store.getJob(first!);
      assert.equal(written?.status, 'SUCCEEDED', 'the write committed before the crash');
      await ledger.burst(system.url, Math.max(4, BURST / 4), 'crash-more');
      await consumersGone(crashing, system.names);
      children.push(await spawnActor(['INDEX'], system.config, system.names));
      const report = await ledger.check(system.store);
      assert.equal(report.succeeded, report.accepted);
      assert.ok(await ledger.redeliveriesSeen(1) >= 1, 'the unacked index message came back and was dropped');
      const events = await watched;
      assert.equal(events.at(-1)?.jobProgress.status, 'SUCCEEDED', 'the subscriber saw the end despite the crash');
    } finally {
      client.dispose();
      await ledger.close();
      await system.stopActors();
      for (const child of children.splice(0)) { child.kill('SIGKILL'); await child.exited; }
      rmSync(markerDir, { recursive: true, force: true });
    }
  });
});
