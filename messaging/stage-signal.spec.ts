import assert from 'node:assert/strict';
import { StageSignal } from './stage-signal.ts';

describe('StageSignal', () => {
  it('should abort with cause "deadline" when its time runs out', async () => {
    const stage = new StageSignal(5);
    await new Promise((resolve) => stage.signal.addEventListener('abort', resolve, { once: true }));
    assert.equal(stage.cause, 'deadline');
    assert.equal((stage.signal.reason as DOMException).name, 'TimeoutError');
  });

  it('should keep the first cause and reason when aborted again', () => {
    const stage = new StageSignal(60_000);
    const cancelled = new Error('job cancelled');
    stage.abort('cancelled', cancelled);
    stage.abort('shutdown', new Error('shutting down'));
    assert.equal(stage.cause, 'cancelled');
    assert.equal(stage.signal.reason, cancelled);
    stage.release();
  });

  it('should not abort after release', async () => {
    const stage = new StageSignal(5);
    stage.release();
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.equal(stage.signal.aborted, false);
    assert.equal(stage.cause, null);
  });

  it('when racing work, should reject with the reason once aborted, and settle as the work does otherwise', async () => {
    const stage = new StageSignal(60_000);
    assert.equal(await stage.race(Promise.resolve('parsed')), 'parsed');
    await assert.rejects(stage.race(Promise.reject(new Error('unreadable'))), /unreadable/);
    const cancelled = new Error('job cancelled');
    const hung = stage.race(new Promise(() => {}));
    stage.abort('cancelled', cancelled);
    await assert.rejects(hung, (error) => error === cancelled);
    await assert.rejects(stage.race(Promise.resolve('late')), (error) => error === cancelled, 'work raced after the abort is not waited for');
    stage.release();
  });

  it('when racing work that ends before the deadline, should not reject once the deadline passes', async () => {
    const stage = new StageSignal(5);
    assert.equal(await stage.race(new Promise((resolve) => setTimeout(() => resolve('done'), 1))), 'done');
    await new Promise((resolve) => stage.signal.addEventListener('abort', resolve, { once: true }));
    assert.equal(stage.cause, 'deadline');
  });
});
