/**
 * The supervisor's child processes (what `npm start` runs): a worker it spawns runs the project's
 * entry point in the form the supervisor itself runs (compiled in dist/, or the TypeScript sources
 * through tsx) and consumes its stage queue; stopping it removes the consumer. It runs below the
 * gateway's CPU priority, every thread of it.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { STAT, childrenOf, statFields } from '../supervisor/proc-stat.ts';
import { silentLogger } from '../observability/logger.ts';
import { Supervisor } from '../supervisor/supervisor.ts';
import { envOf } from './support/actor-process.ts';
import { startTestSystem, withAmqp, type TestSystem } from './support/test-system.ts';

describe('supervisor child processes', function () {
  this.timeout(60_000);
  let system: TestSystem;
  let supervisor: Supervisor;

  before(async () => {
    system = await startTestSystem({ actors: false });
    supervisor = new Supervisor(silentLogger, { env: envOf(system.config), startLimit: system.config.startLimit, stopGraceMs: 5000 });
  });
  after(async () => {
    await supervisor?.stopAll(2000);
    await system?.stop();
  });

  const chunkConsumers = () => withAmqp(async (channel) => (await channel.checkQueue(system.names.stageQueue('CHUNK'))).consumerCount);

  async function waitForConsumers(expected: number): Promise<void> {
    const deadline = Date.now() + 30_000;
    while ((await chunkConsumers()) !== expected) {
      if (Date.now() > deadline) throw new Error(`the chunk queue never had ${expected} consumer(s)`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  it('when a worker is spawned, should consume its stage queue, and stop consuming once stopped', async () => {
    assert.equal(await chunkConsumers(), 0);
    supervisor.spawn('actor-chunk-1', 'services/actor-main.ts', ['chunk']);
    await waitForConsumers(1);
    await supervisor.stop('actor-chunk-1', 5000);
    await waitForConsumers(0);
  });

  /** This process's children (the supervisor runs in it) whose command line names `entry`. */
  const childrenRunning = (entry: string) =>
    childrenOf(process.pid).filter((pid) => existsSync(`/proc/${pid}/cmdline`) && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(entry));
  const threadNices = (pid: number) => readdirSync(`/proc/${pid}/task`).map((tid) => Number(statFields(`/proc/${pid}/task/${tid}/stat`)?.[STAT.nice]));

  it('when a worker is spawned, should run every one of its threads at ACTOR_NICE and leave the shared autogroup alone', async function () {
    if (!existsSync('/proc/self/task')) {
      console.log('    worker priority: skipped — no /proc/self/task (not Linux: one priority per process)');
      this.skip();
    }
    const autogroup = existsSync('/proc/self/autogroup') ? readFileSync('/proc/self/autogroup', 'utf8') : null;
    supervisor.spawn('actor-chunk-2', 'services/actor-main.ts', ['chunk']);
    try {
      await waitForConsumers(1);
      const [pid] = childrenRunning('services/actor-main');
      assert.ok(pid, 'the worker process is a child of the supervisor');
      const nices = threadNices(pid);
      assert.ok(nices.length > 1, `threads: ${nices.length}`);
      assert.deepEqual(nices, nices.map(() => system.config.actorNice), `every thread at ACTOR_NICE ${system.config.actorNice}: ${nices}`);
      if (autogroup !== null) assert.equal(readFileSync(`/proc/${pid}/autogroup`, 'utf8'), autogroup, 'the session shared with the supervisor keeps its autogroup');
    } finally {
      await supervisor.stop('actor-chunk-2', 5000);
      await waitForConsumers(0);
    }
  });
});
