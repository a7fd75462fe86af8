/**
 * A bench child's stderr is kept whole in a file: the bench prints only its tail when the child
 * fails (a native crash can print more), and names the file.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { startProcess } from '../bench/processes.ts';

describe('bench: a child process\'s stderr', function () {
  this.timeout(30_000);

  it('when a child fails, should print the tail and name a file holding all of it', async () => {
    const printed: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string | Uint8Array) => { printed.push(String(chunk)); return true; }) as typeof process.stderr.write;
    let file: string | undefined;
    try {
      startProcess('noisy', 'test/support/noisy-exit-main.ts', [], process.env);
      for (let i = 0; i < 500 && !printed.join('').includes('all of its stderr'); i++) await new Promise((resolve) => setTimeout(resolve, 20));
      const message = printed.join('');
      assert.match(message, /^noisy exited with 3:/m);
      file = /\(all of its stderr: (.+)\)/.exec(message)?.[1];
      assert.ok(file !== undefined && existsSync(file), `names an existing file: ${message.slice(-300)}`);
      const whole = readFileSync(file, 'utf8');
      assert.match(whole, /^line 0: x{60}$/m, 'the first line, which the tail has lost');
      assert.match(whole, /^line 199: x{60}$/m);
      assert.ok(!message.includes('line 0: '), 'only the tail is printed');
    } finally {
      process.stderr.write = write;
      if (file !== undefined) rmSync(file, { force: true });
    }
  });
});
