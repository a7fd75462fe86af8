/** A child that writes more to stderr than a tail holds, then exits 3 (test/bench-child-log.test.ts). */
for (let line = 0; line < 200; line++) process.stderr.write(`line ${line}: ${'x'.repeat(60)}\n`);
process.exitCode = 3;
