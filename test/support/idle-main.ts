/** A child process that does nothing until it is stopped (test/bench-interrupt.test.ts). */
setInterval(() => {}, 60_000);
