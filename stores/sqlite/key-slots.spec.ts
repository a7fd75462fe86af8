import assert from 'node:assert/strict';
import { KeySlots } from './key-slots.ts';

describe('KeySlots', () => {
  it('when a key leaves, should move the last key into its slot and say which data to move', () => {
    const slots = new KeySlots(2);
    assert.equal(slots.grownCapacity(3), 4, 'doubles past the capacity');
    assert.equal(slots.grownCapacity(4), null, 'room enough');
    for (const key of [10n, 11n, 12n, 13n]) slots.slotFor(key);
    assert.equal(slots.slotFor(11n), 1, 'a key held keeps its slot');
    assert.deepEqual(slots.remove(11n), { to: 1, from: 3 });
    assert.deepEqual([...slots.held()], [10n, 13n, 12n]);
    assert.deepEqual(slots.remove(12n), { to: 2, from: 2 }, 'the last key: nothing moves');
    assert.equal(slots.remove(11n), null, 'a key not held');
    assert.equal(slots.slotFor(14n), 2, 'the next free slot');
    assert.deepEqual([...slots.takeLast(5)], [10n, 13n, 14n]);
    assert.equal(slots.size, 0);
    assert.equal(slots.has(10n), false);
  });
});
