/**
 * The supervisor's child processes (what `npm start` runs): a worker it spawns runs the project's
 * entry point in the form the supervisor itself runs (compiled in dist/, or the TypeScript sources
 * through tsx) and consumes its stage queue; stopping it removes the consumer.
 */
import assert from 'node:assert/strict';
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
});
