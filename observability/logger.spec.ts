import assert from 'node:assert/strict';
import { createLogger } from './logger.ts';

/** The JSON lines `work` writes to stderr. */
function linesOf(work: () => void): Record<string, unknown>[] {
  const written: string[] = [];
  const original = process.stderr.write;
  process.stderr.write = ((chunk: string) => { written.push(chunk); return true; }) as typeof process.stderr.write;
  try {
    work();
  } finally {
    process.stderr.write = original;
  }
  return written.map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('createLogger', () => {
  it('should write a child\'s fields after its parents\', the nearest winning, and the call\'s own last', () => {
    const root = createLogger('actor', 'info', { process: 'worker', stage: 'none' });
    const delivery = root.child({ jobId: 'j1', stage: 'PARSE' }).child({ attempt: 2 });
    const [line] = linesOf(() => delivery.warn('slow', { attempt: 3 }));
    assert.deepEqual({ ...line, time: undefined }, {
      time: undefined, level: 'warn', service: 'actor', message: 'slow', process: 'worker', stage: 'PARSE', jobId: 'j1', attempt: 3,
    });
  });

  it('should write nothing below its level, in a child too', () => {
    const lines = linesOf(() => {
      const logger = createLogger('gateway', 'warn');
      logger.info('not shown');
      logger.child({ jobId: 'j2' }).debug('not shown either');
      logger.child({ jobId: 'j2' }).error('shown');
    });
    assert.deepEqual(lines.map((line) => [line.level, line.message, line.jobId]), [['error', 'shown', 'j2']]);
  });
});
