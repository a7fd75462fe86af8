import assert from 'node:assert/strict';
import { GateRefusedError, MutationGate } from './mutation-gate.ts';

const settled = () => new Promise((resolve) => setImmediate(resolve));

describe('MutationGate', () => {
  it('should let `limit` callers run at once and the rest in arrival order', async () => {
    const gate = new MutationGate({ running: 2, waiting: 100, waitMs: 0 });
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
    const gate = new MutationGate({ running: 1, waiting: 100, waitMs: 0 });
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
    const gate = new MutationGate({ running: 1, waiting: 100, waitMs: 0 });
    await assert.rejects(gate.run(() => { throw new Error('failed'); }), /failed/);
    assert.deepEqual(gate.load(), { running: 0, waiting: 0 });
    assert.equal(await gate.run(() => 'next'), 'next');
  });

  it('should refuse a caller at once when MAX_WAITING_MUTATIONS already wait, and take one again once the line moves', async () => {
    const gate = new MutationGate({ running: 1, waiting: 2, waitMs: 0 });
    await gate.enter();
    const waiting = [gate.enter(), gate.enter()];
    await assert.rejects(gate.enter(), (error: unknown) => error instanceof GateRefusedError && /2 mutations are waiting .*MAX_WAITING_MUTATIONS/.test(error.message));
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

  it('should refuse a waiting caller whose turn has not come within MAX_MUTATION_WAIT_MS, and keep the others in order', async () => {
    const gate = new MutationGate({ running: 1, waiting: 100, waitMs: 300 });
    await gate.enter();
    const outcomes: string[] = [];
    const early = gate.enter().then(() => outcomes.push('early ran'), (error: Error) => outcomes.push(`early refused: ${error.message}`));
    await new Promise((resolve) => setTimeout(resolve, 150));
    const late = gate.enter().then(() => outcomes.push('late ran'), (error: Error) => outcomes.push(`late refused: ${error.message}`));
    // The first waiter's time is up at 300 ms; the second one's not before 450.
    await early;
    assert.equal(outcomes.length, 1);
    assert.match(outcomes[0]!, /^early refused: its turn did not come within 300 ms in this gateway \(MAX_MUTATION_WAIT_MS; 1 running, 1 waiting\); nothing was done: retry after 1 s$/);
    assert.deepEqual(gate.load(), { running: 1, waiting: 1 });
    gate.leave();
    await late;
    assert.deepEqual(outcomes.slice(1), ['late ran']);
    gate.leave();
    assert.deepEqual(gate.load(), { running: 0, waiting: 0 });
  });

  it('should let a caller wait however long when MAX_MUTATION_WAIT_MS is 0', async () => {
    const gate = new MutationGate({ running: 1, waiting: 100, waitMs: 0 });
    await gate.enter();
    let entered = false;
    const waiting = gate.enter().then(() => { entered = true; });
    await new Promise((resolve) => setTimeout(resolve, 60));
    assert.deepEqual(gate.load(), { running: 1, waiting: 1 });
    gate.leave();
    await waiting;
    assert.ok(entered);
    gate.leave();
  });
});
