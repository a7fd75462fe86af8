import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { PermanentError, RetryableError } from '../../../messaging/errors.ts';
import { makePdfBomb } from '../../../test/fixtures/make-pdf-bomb.ts';
import { ParsePool } from './parse-pool.ts';

const utf8 = (text: string) => new TextEncoder().encode(text);
/**
 * Super-linear in time (not memory) for htmlparser2, which keeps open elements in an array it
 * unshifts: tens of seconds at this size, so only the budget ends it.
 */
const deepDivs = (n: number) => utf8('<div>'.repeat(n) + 'deep');

describe('ParsePool', function () {
  this.timeout(60_000);
  const TIMEOUT_MS = 4000;
  let pool: ParsePool;

  before(() => {
    // Memory to spare: the hostile HTML below must meet the time budget, not this one.
    pool = new ParsePool({ workers: 2, timeoutMs: TIMEOUT_MS, maxMemoryMb: 2048 });
    return pool.warm();
  });
  after(() => pool.close());

  it('when a document is valid, should return what parseDocument returns, parsed in a worker', async () => {
    const parsed = await pool.parse(utf8('# Kites\n\nBox kites fly in strong wind.'), 'text/markdown');
    assert.deepEqual(parsed, { title: 'Kites', sections: [{ headings: ['Kites'], text: 'Box kites fly in strong wind.' }] });
  });

  it('when a document takes longer than the budget, should fail it permanently while another document parses', async () => {
    const started = Date.now();
    const hostile = pool.parse(deepDivs(400_000), 'text/html');
    const small = await pool.parse(utf8('Gulls follow the ferry.'), 'text/plain');
    assert.equal(small.sections[0]?.text, 'Gulls follow the ferry.');
    await assert.rejects(hostile, (error: unknown) => {
      assert.ok(error instanceof PermanentError, String(error));
      assert.match(error.message, new RegExp(`took longer than PARSE_TIMEOUT_MS \\(${TIMEOUT_MS} ms\\) to parse`));
      return true;
    });
    const elapsed = Date.now() - started;
    assert.ok(elapsed < TIMEOUT_MS + 3000, `stopped within its budget (${elapsed} ms)`);
  });

  it('when a PDF inflates past the memory cap, should fail it permanently with the limit named', async () => {
    // A time budget it cannot reach first, however busy the machine.
    const roomy = new ParsePool({ workers: 1, timeoutMs: 60_000, maxMemoryMb: 256 });
    try {
      await assert.rejects(roomy.parse(makePdfBomb({ inflatedMb: 200 }), 'application/pdf'), (error: unknown) => {
        assert.ok(error instanceof PermanentError, String(error));
        assert.match(error.message, /needed more than PARSE_MAX_MEMORY_MB \(256 MB\) to parse/);
        return true;
      });
    } finally {
      await roomy.close();
    }
  });

  it('when a parser overflows its stack, should fail the document permanently', async () => {
    // HTML and Markdown nesting is bounded before it reaches recursion; JSON.parse still recurses.
    await assert.rejects(pool.parse(utf8('['.repeat(50_000) + ']'.repeat(50_000)), 'application/json'), (error: unknown) => {
      assert.ok(error instanceof PermanentError, String(error));
      assert.match(error.message, /nested too deeply/);
      return true;
    });
  });

  it('when the type is unsupported, should fail permanently listing the supported types', async () => {
    await assert.rejects(pool.parse(utf8('x'), 'image/png'), (error: unknown) =>
      error instanceof PermanentError && /supported types are .*text\/markdown/.test(error.message));
  });

  it('when its signal aborts mid-parse, should reject with the reason at once and keep parsing others', async () => {
    const controller = new AbortController();
    const reason = new Error('cancelled by the test');
    const hostile = pool.parse(deepDivs(400_000), 'text/html', controller.signal);
    setTimeout(() => controller.abort(reason), 300);
    const started = Date.now();
    await assert.rejects(hostile, (error) => error === reason);
    assert.ok(Date.now() - started < 2000, 'did not wait for the parse');
    const after = await pool.parse(utf8('Still parsing.'), 'text/plain');
    assert.equal(after.sections[0]?.text, 'Still parsing.');
  });

  it('when closed, should refuse new documents retryably (another process takes them)', async () => {
    const closed = new ParsePool({ workers: 1, timeoutMs: 1000, maxMemoryMb: 128 });
    await closed.close();
    await assert.rejects(closed.parse(utf8('x'), 'text/plain'), RetryableError);
  });
});

describe('ParsePool with PARSE_INLINE_MAX_BYTES', function () {
  this.timeout(30_000);
  const INLINE_MAX = 1024;
  let pool: ParsePool;
  beforeEach(() => { pool = new ParsePool({ workers: 1, timeoutMs: 10_000, maxMemoryMb: 512, inlineMaxBytes: INLINE_MAX }); });
  afterEach(() => pool.close());

  /** The processes this one has started and not yet reaped (the pool's workers among them). */
  const children = () => readFileSync(`/proc/${process.pid}/task/${process.pid}/children`, 'utf8').trim().split(' ').filter(Boolean);

  it('when plain text, Markdown or HTML is within the limit, should parse it in this thread without starting a worker', async () => {
    const before = children();
    assert.deepEqual(await pool.parse(utf8('# Kites\n\nBox kites fly.'), 'text/markdown'), { title: 'Kites', sections: [{ headings: ['Kites'], text: 'Box kites fly.' }] });
    assert.equal((await pool.parse(utf8('<h1>Gulls</h1><p>Gulls follow ferries.</p>'), 'text/html; charset=utf-8')).sections[0]?.text, 'Gulls follow ferries.');
    assert.equal((await pool.parse(utf8('Terns dive.'), 'text/plain')).sections[0]?.text, 'Terns dive.');
    assert.deepEqual(children(), before, 'no worker process was started');
  });

  it('when a document is over the limit or of another type, should parse it in a worker, with the same result', async () => {
    const before = children();
    const text = `# Kites\n\n${'Box kites fly in strong wind. '.repeat(40)}`;
    assert.ok(utf8(text).byteLength > INLINE_MAX);
    const parsed = await pool.parse(utf8(text), 'text/markdown');
    assert.equal(parsed.sections[0]?.text, text.slice('# Kites\n\n'.length).trim());
    assert.equal(children().filter((pid) => !before.includes(pid)).length, 1, 'one worker process started');
    assert.deepEqual((await pool.parse(utf8('{"kite": "box"}'), 'application/json')).sections, [{ headings: ['kite'], text: 'box' }]);
  });

  it('when a small document cannot be parsed, should fail it as a worker would: permanently, with the reason', async () => {
    const invalid = new Uint8Array([0x23, 0x20, 0xff, 0xfe]);
    const inline = await pool.parse(invalid, 'text/markdown').catch((error: unknown) => error);
    const workersOnly = new ParsePool({ workers: 1, timeoutMs: 10_000, maxMemoryMb: 512 });
    const inWorker = await workersOnly.parse(invalid, 'text/markdown').catch((error: unknown) => error).finally(() => workersOnly.close());
    assert.ok(inline instanceof PermanentError, String(inline));
    assert.ok(inWorker instanceof PermanentError, String(inWorker));
    assert.match(inline.message, /not valid UTF-8/);
    assert.equal(inline.message, inWorker.message);
  });
});
