import assert from 'node:assert/strict';
import { writeScalingStatus } from '../supervisor/scaling-status.ts';
import { gqlData } from './support/graphql-client.ts';
import { startTestSystem, type TestSystem } from './support/test-system.ts';

const QUEUES = '{ queues { stage ready scaling { workers minWorkers maxWorkers utilisation lastDecision lastDecisionAt } } }';

describe('worker counts in the queues query', function () {
  this.timeout(30_000);
  let system: TestSystem;

  before(async () => { system = await startTestSystem({ actors: false }); });
  after(async () => { await system?.stop(); });

  it('when no supervisor shares the data directory, should report no scaling', async () => {
    const { queues } = await gqlData(system.url, QUEUES);
    assert.equal(queues.length, 5);
    assert.ok(queues.every((queue: any) => queue.scaling === null));
  });

  it('when the supervisor has scaled an actor, should show its workers and the last decision', async () => {
    const at = new Date('2026-11-28T03:00:00Z').toISOString();
    await writeScalingStatus(system.config.dataDir, {
      updatedAt: at, pid: process.pid,
      stages: {
        EMBED: { workers: 3, minWorkers: 1, maxWorkers: 4, ready: 150, consumers: 3, utilisation: 0.9, lastDecision: { at, from: 1, to: 3, reason: '150 ready, 50 per worker' } },
        PARSE: { workers: 1, minWorkers: 1, maxWorkers: 4, ready: 0, consumers: 1, utilisation: null, lastDecision: null },
      },
    });
    const { queues } = await gqlData(system.url, QUEUES);
    const embed = queues.find((queue: any) => queue.stage === 'EMBED');
    assert.deepEqual(embed.scaling, {
      workers: 3, minWorkers: 1, maxWorkers: 4, utilisation: 0.9, lastDecision: '1 → 3: 150 ready, 50 per worker', lastDecisionAt: at,
    });
    const parse = queues.find((queue: any) => queue.stage === 'PARSE');
    assert.equal(parse.scaling.workers, 1);
    assert.equal(parse.scaling.lastDecision, null);
    assert.equal(queues.find((queue: any) => queue.stage === 'FETCH').scaling, null);
  });
});
