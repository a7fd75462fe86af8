/**
 * Reads what `BENCH_PROFILE=<folder> npm run bench` left in <folder>: the children's V8 CPU
 * profiles, the window of the asynchronous sections run (window.json) and the store-write
 * accounting of that window (writes-<process>.json). Prints, per process, where its samples in the
 * window went (by the innermost frame that names a part of the system) and, per store operation,
 * the time spent waiting for SQLite's write lock, running and committing.
 *   node --import tsx bench/profile-report.ts <folder>
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

interface CallFrame { readonly functionName: string; readonly url: string }
interface ProfileNode { readonly id: number; readonly callFrame: CallFrame; readonly children?: readonly number[] }
interface CpuProfile { readonly nodes: readonly ProfileNode[]; readonly startTime: number; readonly samples: readonly number[]; readonly timeDeltas: readonly number[] }

/** First match wins, tried from the innermost frame outwards; frames matching nothing are skipped. */
const RULES: readonly (readonly [string, (frame: CallFrame) => boolean])[] = [
  ['idle', (f) => f.functionName === '(idle)'],
  ['GC', (f) => f.functionName === '(garbage collector)'],
  ['native (program)', (f) => f.functionName === '(program)'],
  ['SQLite store (incl. lock wait)', (f) => /stores\/sqlite|better-sqlite3|sqlite-vec/.test(f.url)],
  ['parse', (f) => /services\/parse|htmlparser2|markdown-it|domhandler|entities|unpdf|pdfjs/.test(f.url)],
  ['chunk', (f) => /services\/chunk/.test(f.url)],
  ['embed (hashing)', (f) => /embedders\//.test(f.url)],
  ['JSON', (f) => f.url === '' && (f.functionName === 'parse' || f.functionName === 'stringify')],
  ['decode/validate', (f) => /schema\/|zod/.test(f.url)],
  ['telemetry', (f) => /@opentelemetry|observability\//.test(f.url)],
  ['broker client (amqplib)', (f) => /amqplib|bitsyntax|buffer-more-ints|messaging\//.test(f.url)],
  ['GraphQL/HTTP', (f) => /graphql|@apollo|gateway\/|\/ws\/|express|envelop/.test(f.url)],
  ['actors (other)', (f) => /services\//.test(f.url)],
];

const folder = process.argv[2] ?? '.';
const window = JSON.parse(readFileSync(path.join(folder, 'window.json'), 'utf8')) as { startUs: number; endUs: number };
const seconds = (window.endUs - window.startUs) / 1e6;
console.log(`window: ${seconds.toFixed(1)} s`);

// One folder per child process, one profile per thread: CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile (thread 0 is the main one).
const profiles = readdirSync(folder, { withFileTypes: true }).filter((entry) => entry.isDirectory()).flatMap((entry) =>
  readdirSync(path.join(folder, entry.name)).filter((name) => name.endsWith('.cpuprofile')).sort().map((name) => ({
    file: path.join(folder, entry.name, name),
    label: `${entry.name.replace(/-\d+$/, '')}${name.split('.')[4] === '0' ? '' : ` (worker thread ${name.split('.')[4]})`}`,
  })));
for (const { file, label } of profiles) {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const categoryOf = new Map<number, string>();
  const categorize = (id: number): string => {
    const known = categoryOf.get(id);
    if (known !== undefined) return known;
    const node = byId.get(id)!;
    const rule = RULES.find(([, test]) => test(node.callFrame));
    const up = parent.get(id);
    const category = rule ? rule[0] : up === undefined ? 'other' : categorize(up);
    categoryOf.set(id, category);
    return category;
  };
  const totals = new Map<string, number>();
  let time = profile.startTime;
  let inWindow = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const delta = profile.timeDeltas[i]!;
    time += delta;
    if (time < window.startUs || time > window.endUs) continue;
    inWindow += delta;
    const category = categorize(profile.samples[i]!);
    totals.set(category, (totals.get(category) ?? 0) + delta);
  }
  if (inWindow === 0) continue;
  const busy = inWindow - (totals.get('idle') ?? 0);
  console.log(`\n${label}: busy ${(busy / 1e6).toFixed(2)} s of ${(inWindow / 1e6).toFixed(1)} s`);
  for (const [category, us] of [...totals].sort((a, b) => b[1] - a[1])) {
    if (category === 'idle') continue;
    console.log(`  ${category.padEnd(32)} ${(us / 1e6).toFixed(2).padStart(6)} s  ${((100 * us) / busy).toFixed(0).padStart(3)} %`);
  }
}

console.log('\nstore writes in the window (ms: total waiting for the write lock / running / committing; max wait)');
for (const file of readdirSync(folder).filter((name) => name.startsWith('writes-')).sort()) {
  const { operations } = JSON.parse(readFileSync(path.join(folder, file), 'utf8')) as
    { operations: Record<string, { count: number; waitMs: number; workMs: number; commitMs: number; maxWaitMs: number }> };
  for (const [operation, t] of Object.entries(operations)) {
    console.log(`  ${file.slice(7, -5).padEnd(14)} ${operation.padEnd(24)} ${String(t.count).padStart(6)} × ` +
      `wait ${(t.waitMs / t.count).toFixed(2)} / run ${(t.workMs / t.count).toFixed(2)} / commit ${(t.commitMs / t.count).toFixed(2)} ms each; ` +
      `total wait ${(t.waitMs / 1000).toFixed(2)} s, max ${t.maxWaitMs.toFixed(0)} ms`);
  }
}
