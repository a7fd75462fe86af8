/**
 * Which slot holds each key, for the in-memory vector arrays (flat-index.ts's int8 codes,
 * vector-columns.ts's columns): slots 0 … size−1 are live and stay one run, so a scan reads one
 * prefix of each array. The owner keeps its data at each slot; this keeps the keys, and says when
 * to grow the arrays and which slot's data to move when a key leaves.
 */
export class KeySlots {
  private keys: BigUint64Array;
  private count = 0;
  private readonly slots = new Map<bigint, number>();

  constructor(capacity: number) {
    this.keys = new BigUint64Array(capacity);
  }

  get size(): number {
    return this.count;
  }

  /** How many slots the owner's arrays hold. */
  get capacity(): number {
    return this.keys.length;
  }

  has(key: bigint): boolean {
    return this.slots.has(key);
  }

  keyAt(slot: number): bigint {
    return this.keys[slot]!;
  }

  /** Every key held, in slot order. */
  held(): BigUint64Array {
    return this.keys.slice(0, this.count);
  }

  /**
   * The capacity for `needed` slots, doubling (from `least`) so that adding one key at a time
   * stays cheap: null when the arrays are large enough, else the owner grows its arrays to it.
   */
  grownCapacity(needed: number, least = 0): number | null {
    if (needed <= this.keys.length) return null;
    const capacity = Math.max(needed, this.keys.length * 2, least);
    const keys = new BigUint64Array(capacity);
    keys.set(this.keys.subarray(0, this.count));
    this.keys = keys;
    return capacity;
  }

  /** The key's slot, the next free one if it had none (room for it must have been made). */
  slotFor(key: bigint): number {
    let slot = this.slots.get(key);
    if (slot === undefined) {
      slot = this.count++;
      this.slots.set(key, slot);
      this.keys[slot] = key;
    }
    return slot;
  }

  /**
   * Removes the key. The last slot's key moves into its place, and the owner moves that slot's
   * data likewise: returns `{ to, from }` for that move, `to === from` when the key was last,
   * null when it was not held.
   */
  remove(key: bigint): { readonly to: number; readonly from: number } | null {
    const slot = this.slots.get(key);
    if (slot === undefined) return null;
    this.slots.delete(key);
    const last = --this.count;
    if (slot !== last) {
      const moved = this.keys[last]!;
      this.keys[slot] = moved;
      this.slots.set(moved, slot);
    }
    return { to: slot, from: last };
  }

  /** Removes up to `count` keys from the last slots (no data moves) and returns them. */
  takeLast(count: number): BigUint64Array {
    const taken = this.keys.slice(Math.max(0, this.count - count), this.count);
    for (const key of taken) this.slots.delete(key);
    this.count -= taken.length;
    return taken;
  }
}
