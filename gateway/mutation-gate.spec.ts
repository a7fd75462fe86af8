import assert from 'node:assert/strict';
import { GateFullError, MutationGate } from './mutation-gate.ts';

const settled = () => new Promise((resolve) => setImmediate(resolve));

describe('MutationGate', () => {
  it('should let `limit` callers run at once and the rest in arrival order', async () => {
    const gate = new MutationGate(2, 100);
    const order: number[] = [];
    const entered = [1, 2, 3, 4].map((n) => gate.enter().then(() => order.push(n)));
    await settled();
    assert.deepEqual(order, [1, 2]);
    assert.deepEqual(gate.load(), { running: 2, waiting: 2 });
    gate.leave();
    await settled();
    assert.deepEqual(order, [1, 2, 3]);
    gate.leave();
    gate.leave();
    gate.leave();
    await Promise.all(entered);
    assert.deepEqual(order, [1, 2, 3, 4]);
    assert.deepEqual(gate.load(), { running: 0, waiting: 0 });
  });

  it('should hand a freed slot to the longest waiting caller, not to one arriving after', async () => {
    const gate = new MutationGate(1, 100);
    await gate.enter();
    const order: string[] = [];
    const waiting = gate.enter().then(() => order.push('waiting'));
    gate.leave();
    const newcomer = gate.enter().then(() => order.push('newcomer'));
    await settled();
    assert.deepEqual(order, ['waiting']);
    gate.leave();
    await Promise.all([waiting, newcomer]);
    assert.deepEqual(order, ['waiting', 'newcomer']);
  });

  it('should give the slot back when the work throws', async () => {
    const gate = new MutationGate(1, 100);
    await assert.rejects(gate.run(() => { throw new Error('failed'); }), /failed/);
    assert.deepEqual(gate.load(), { running: 0, waiting: 0 });
    assert.equal(await gate.run(() => 'next'), 'next');
  });

  it('should refuse a caller at once when MAX_WAITING_MUTATIONS already wait, and take one again once the line moves', async () => {
    const gate = new MutationGate(1, 2);
    await gate.enter();
    const waiting = [gate.enter(), gate.enter()];
    await assert.rejects(gate.enter(), (error: unknown) => error instanceof GateFullError && /2 mutations are waiting .*MAX_WAITING_MUTATIONS/.test(error.message));
    assert.deepEqual(gate.load(), { running: 1, waiting: 2 });
    gate.leave();
    await waiting[0];
    const third = gate.enter();
    assert.deepEqual(gate.load(), { running: 1, waiting: 2 });
    gate.leave();
    gate.leave();
    gate.leave();
    await Promise.all([waiting[1], third]);
    assert.deepEqual(gate.load(), { running: 0, waiting: 0 });
  });
});
