/**
 * For test/bench-interrupt.test.ts: starts two children the way the bench does (each idling in a
 * process group of its own), prints their pids, and waits to be interrupted; its clean-up writes
 * the file named by its argument, saying whether the children had stopped by then, and the
 * folder `data` beside that file is registered for removal. As the bench's run does, it goes on
 * after a signal and starts one more child then, writing its pid (or why not) to `late.txt` there.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { onInterrupt, removeOnInterrupt, startProcess } from '../../bench/processes.ts';

const children = ['idle-1', 'idle-2'].map((name) => startProcess(name, 'test/support/idle-main.ts', [], process.env));
const data = join(dirname(process.argv[2]!), 'data');
mkdirSync(data);
writeFileSync(join(data, 'rag.sqlite'), 'a run\'s file');
removeOnInterrupt(data);
onInterrupt(() => writeFileSync(process.argv[2]!, JSON.stringify({ childrenRunning: children.filter((child) => child.memory() !== null).length })));
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    const late = join(dirname(process.argv[2]!), 'late.txt');
    try {
      writeFileSync(late, String(startProcess('late', 'test/support/idle-main.ts', [], process.env).pid));
    } catch (error) {
      writeFileSync(late, (error as Error).message);
    }
  });
}
process.stdout.write(`${JSON.stringify(children.map((child) => child.pid))}\n`);
setInterval(() => {}, 60_000);
