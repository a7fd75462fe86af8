import assert from 'node:assert/strict';
import type { Broker } from '../../messaging/broker.ts';
import { PendingWorkGauge } from './pending-work-gauge.ts';

/** A broker whose queue readings the test answers by hand: each reading waits for `answer(depth)`. */
function fakeBroker() {
  const pending: ((depth: number) => void)[] = [];
  const broker = {
    connected: true,
    withChannel: (work: (channel: unknown) => Promise<unknown>) => work({
      checkQueue: () => new Promise((resolve) => pending.push((depth) => resolve({ messageCount: depth, consumerCount: 1 }))),
    }),
  } as unknown as Broker;
  return {
    broker,
    readings: () => pending.length,
    answer: (depth: number) => pending.shift()!(depth),
  };
}

const CACHE_MS = 200;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Resolves with the admission, or with 'waiting' if it has not settled within a few ms. */
const settled = <T>(promise: Promise<T>) => Promise.race([promise, sleep(20).then(() => 'waiting' as const)]);

describe('pending work gauge', () => {
  it('when it has no reading yet, should wait for one and count the queue depth', async () => {
    const fake = fakeBroker();
    const gauge = new PendingWorkGauge(fake.broker, { queues: ['parse'], maxPendingJobs: 10, cacheMs: CACHE_MS });
    const admission = gauge.admit(1);
    assert.equal(await settled(admission), 'waiting');
    fake.answer(10);
    assert.deepEqual({ ...(await admission), retryAfterSeconds: undefined }, { admitted: false, pending: 10, retryAfterSeconds: undefined });
  });

  it('when the reading is past half its age, should renew it in the background and answer from the last one at once', async () => {
    const fake = fakeBroker();
    const gauge = new PendingWorkGauge(fake.broker, { queues: ['parse'], maxPendingJobs: 10, cacheMs: CACHE_MS });
    const first = gauge.admit(1);
    fake.answer(2);
    assert.deepEqual(await first, { admitted: true });
    gauge.accepted(1);

    // Young reading: no broker call at all.
    assert.deepEqual(await settled(gauge.admit(1)), { admitted: true });
    assert.equal(fake.readings(), 0);

    // Past half its age: answered at once from 2 + 1 accepted, while a new reading is under way.
    await sleep(CACHE_MS / 2 + 20);
    assert.deepEqual(await settled(gauge.admit(7)), { admitted: true });
    assert.equal(await settled(gauge.admit(8)).then((result) => result !== 'waiting' && result.admitted), false, '2 + 1 + 8 is past 10');
    assert.equal(fake.readings(), 1, 'one background reading, shared');
    fake.answer(0);
    await sleep(5);
    assert.deepEqual(await settled(gauge.admit(10)), { admitted: true }, 'the renewed reading (0 waiting) counts from now on');
  });

  it('when the reading is past its age, should wait for a new one', async () => {
    const fake = fakeBroker();
    const gauge = new PendingWorkGauge(fake.broker, { queues: ['parse'], maxPendingJobs: 10, cacheMs: CACHE_MS });
    const first = gauge.admit(1);
    fake.answer(0);
    await first;
    await sleep(CACHE_MS + 20);
    const admission = gauge.admit(1);
    assert.equal(await settled(admission), 'waiting');
    fake.answer(10);
    assert.equal((await admission).admitted, false);
  });

  it('when a reading past its age does not come (a connection the broker blocks), should admit on the last one after readWaitMs', async () => {
    const fake = fakeBroker();
    const gauge = new PendingWorkGauge(fake.broker, { queues: ['parse'], maxPendingJobs: 10, cacheMs: CACHE_MS, readWaitMs: 100 });
    const admission = gauge.admit(1);
    assert.equal(await settled(admission), 'waiting');
    assert.deepEqual(await Promise.race([admission, sleep(1000).then(() => 'still waiting')]), { admitted: true });
    assert.equal(fake.readings(), 1, 'the reading is still out, and is shared by the next admission');
    assert.deepEqual(await Promise.race([gauge.admit(1), sleep(1000).then(() => 'still waiting')]), { admitted: true });
    assert.equal(fake.readings(), 1);
  });
});
