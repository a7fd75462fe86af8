import assert from 'node:assert/strict';
import { decideScale, type ScalingObservation, type ScalingPolicy } from './scaling-policy.ts';

const policy: ScalingPolicy = { minWorkers: 1, maxWorkers: 4, targetQueueLength: 50, targetUtilisation: 0.8, cooldownMs: 30_000 };
const seen = (overrides: Partial<ScalingObservation>): ScalingObservation =>
  ({ now: 1_000_000, workers: 1, ready: 0, utilisation: null, lowSince: null, ...overrides });

describe('scaling policy', () => {
  it('when ready messages exceed the target per worker, should scale up at once to ready / target', () => {
    const decision = decideScale(policy, seen({ workers: 1, ready: 120 }));
    assert.equal(decision.workers, 3);
    assert.match(decision.reason, /scale up/);
  });

  it('when the queue wants more workers than the maximum, should stop at the maximum', () => {
    assert.equal(decideScale(policy, seen({ workers: 2, ready: 10_000 })).workers, policy.maxWorkers);
  });

  it('when consumers are saturated with a small backlog, should add one worker', () => {
    assert.equal(decideScale(policy, seen({ workers: 2, ready: 5, utilisation: 0.95 })).workers, 3);
  });

  it('when scaling on depth alone (SCALE_UTILISATION=off), should not add a worker for saturated consumers', () => {
    const depthAlone = { ...policy, targetUtilisation: null };
    assert.equal(decideScale(depthAlone, seen({ workers: 2, ready: 5, utilisation: 1 })).workers, 2);
    assert.equal(decideScale(depthAlone, seen({ workers: 2, ready: 120, utilisation: 1 })).workers, 3);
  });

  it('when consumers are saturated but nothing waits, should not scale up', () => {
    assert.equal(decideScale(policy, seen({ workers: 2, ready: 0, utilisation: 1 })).workers, 2);
  });

  it('when the queue empties, should keep the workers until the cool-down has passed, then scale down', () => {
    const first = decideScale(policy, seen({ workers: 4, ready: 0 }));
    assert.equal(first.workers, 4);
    assert.equal(first.lowSince, 1_000_000);
    const during = decideScale(policy, seen({ now: 1_000_000 + 29_999, workers: 4, ready: 0, lowSince: first.lowSince }));
    assert.equal(during.workers, 4);
    const after = decideScale(policy, seen({ now: 1_000_000 + 30_000, workers: 4, ready: 0, lowSince: during.lowSince }));
    assert.equal(after.workers, policy.minWorkers);
    assert.match(after.reason, /scale down/);
    assert.equal(after.lowSince, null);
  });

  it('when the backlog returns during the cool-down, should restart the cool-down', () => {
    const low = decideScale(policy, seen({ workers: 3, ready: 0 }));
    const busy = decideScale(policy, seen({ now: 1_010_000, workers: 3, ready: 150, lowSince: low.lowSince }));
    assert.equal(busy.workers, 3);
    assert.equal(busy.lowSince, null);
  });

  it('when running outside the bounds, should move inside them at once', () => {
    assert.equal(decideScale(policy, seen({ workers: 0, ready: 0 })).workers, 1);
    assert.equal(decideScale(policy, seen({ workers: 6, ready: 1000 })).workers, 4);
    assert.equal(decideScale({ ...policy, minWorkers: 0 }, seen({ workers: 0, ready: 0 })).workers, 0);
  });

  it('when the minimum is 0 and work arrives, should start a worker', () => {
    assert.equal(decideScale({ ...policy, minWorkers: 0 }, seen({ workers: 0, ready: 1 })).workers, 1);
  });
});
