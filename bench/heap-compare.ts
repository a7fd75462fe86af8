/**
 * What grew between two V8 heap snapshots: objects counted and their self sizes summed by
 * constructor (by node type for strings, arrays, code and the like), then the groups whose size
 * or count changed most. Something held per pending job shows as a group growing by about the
 * number of jobs added between the snapshots.
 *
 *   node --import tsx bench/heap-compare.ts before.heapsnapshot after.heapsnapshot [rows]
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

/** Count and self size in bytes of one group of heap objects. */
export interface HeapGroup {
  readonly count: number;
  readonly bytes: number;
}

/** Node types whose `name` is a constructor worth grouping by; the rest are grouped by type alone. */
const NAMED_TYPES = new Set(['object', 'closure', 'native', 'regexp']);

/** Groups every object of a .heapsnapshot file by constructor (or type). */
export function groupHeap(file: string): Map<string, HeapGroup> {
  const snapshot = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const fields = snapshot.snapshot.meta.node_fields;
  const types = snapshot.snapshot.meta.node_types[0];
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const groups = new Map<string, { count: number; bytes: number }>();
  for (let at = 0; at < snapshot.nodes.length; at += width) {
    const type = types[snapshot.nodes[at + typeAt]!]!;
    const key = NAMED_TYPES.has(type) ? `${type} ${snapshot.strings[snapshot.nodes[at + nameAt]!]!.slice(0, 80)}` : `(${type})`;
    const group = groups.get(key) ?? { count: 0, bytes: 0 };
    group.count += 1;
    group.bytes += snapshot.nodes[at + sizeAt]!;
    groups.set(key, group);
  }
  return groups;
}

/** Rows of groups that changed, largest size change first. */
export function compareHeaps(before: Map<string, HeapGroup>, after: Map<string, HeapGroup>, rows = 25): string[] {
  const keys = new Set([...before.keys(), ...after.keys()]);
  const total = (groups: Map<string, HeapGroup>) => [...groups.values()].reduce((sum, group) => sum + group.bytes, 0);
  const changes = [...keys].map((key) => {
    const a = before.get(key) ?? { count: 0, bytes: 0 };
    const b = after.get(key) ?? { count: 0, bytes: 0 };
    return { key, count: b.count - a.count, bytes: b.bytes - a.bytes, after: b };
  }).filter((change) => change.count !== 0 || change.bytes !== 0);
  changes.sort((x, y) => Math.abs(y.bytes) - Math.abs(x.bytes));
  const mb = (bytes: number) => (bytes / 1048576).toFixed(2);
  return [
    `heap self size: ${mb(total(before))} → ${mb(total(after))} MB`,
    `${'Δ MB'.padStart(8)} ${'Δ count'.padStart(9)} ${'count'.padStart(9)}  group`,
    ...changes.slice(0, rows).map((change) =>
      `${mb(change.bytes).padStart(8)} ${String(change.count).padStart(9)} ${String(change.after.count).padStart(9)}  ${change.key}`),
  ];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [before, after, rows] = process.argv.slice(2);
  if (!before || !after) throw new Error('usage: heap-compare.ts before.heapsnapshot after.heapsnapshot [rows]');
  console.log(compareHeaps(groupHeap(before), groupHeap(after), Number(rows ?? 25)).join('\n'));
}
