import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { takeSaveLock } from './save-lock.ts';

describe('save lock', () => {
  let dir: string;
  let lock: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'save-lock-'));
    lock = join(dir, 'c1.json.lock');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function ageBy(filePath: string, minutes: number): void {
    const then = new Date(Date.now() - minutes * 60_000);
    utimesSync(filePath, then, then);
  }

  it('when the lock is free, should take it and release it', () => {
    const release = takeSaveLock(lock);
    assert.ok(release);
    assert.equal(readFileSync(lock, 'utf8'), String(process.pid));
    assert.equal(takeSaveLock(lock), null, 'a second saver is put off');
    release();
    assert.ok(!existsSync(lock));
  });

  it('when a stale lock is being taken over by another saver, should leave both alone and put its save off', () => {
    writeFileSync(lock, '12345');
    ageBy(lock, 10);
    writeFileSync(`${lock}.takeover`, '23456');
    assert.equal(takeSaveLock(lock), null);
    assert.equal(readFileSync(lock, 'utf8'), '12345', 'the stale lock is the other taker\'s to replace');
    assert.ok(existsSync(`${lock}.takeover`), 'the other taker\'s takeover lock stays');
  });

  it('when a takeover was left by a saver that died during it, should clear it and take the stale lock over on the next attempt', () => {
    writeFileSync(lock, '12345');
    ageBy(lock, 10);
    writeFileSync(`${lock}.takeover`, '23456');
    ageBy(`${lock}.takeover`, 10);
    assert.equal(takeSaveLock(lock), null);
    assert.ok(!existsSync(`${lock}.takeover`));
    const release = takeSaveLock(lock);
    assert.ok(release);
    assert.equal(readFileSync(lock, 'utf8'), String(process.pid));
    assert.ok(!existsSync(`${lock}.takeover`), 'the takeover lock is released with the takeover');
    release();
  });
});
