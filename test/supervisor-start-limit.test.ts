/**
 * `npm start` with a configuration error (a store it cannot reach, a port already taken) must not
 * restart its children forever: after START_LIMIT failures in a row before a child was ready, it
 * stops everything and exits 1 with that child's error as its last line.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createRetryPolicy } from '../config/components.ts';
import { defaultConfig } from '../config/config.ts';
import { topology } from '../messaging/topology.ts';
import { nodeArgs, PROJECT_ROOT } from '../supervisor/node-command.ts';
import { AMQP_URL, deleteNamespace } from './support/test-system.ts';

describe('supervisor: a child that cannot start', function () {
  this.timeout(180_000);
  let dataDir: string;

  before(() => { dataDir = mkdtempSync(path.join(tmpdir(), 'rag-start-limit-')); });
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  /**
   * Runs `npm start`'s supervisor with `env` until it exits; its exit code and stderr. The actors
   * it started declared their queues before it gave up: they are deleted after.
   */
  async function startSupervisor(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
    const namespace = `test-${randomUUID().slice(0, 8)}`;
    const child = spawn(process.execPath, nodeArgs('supervisor/main.ts'), {
      cwd: PROJECT_ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: {
        ...process.env,
        AMQP_URL,
        AMQP_NAMESPACE: namespace,
        DATA_DIR: dataDir,
        PORT: '0',
        START_LIMIT: '2',
        MIN_WORKERS: '1',
        MAX_WORKERS: '1',
        LOG_LEVEL: 'error',
        OTEL_SDK_DISABLED: 'true',
        ...env,
      },
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString('utf8'); });
    const killer = setTimeout(() => child.kill('SIGKILL'), 170_000);
    const code = await new Promise<number | null>((resolve) => child.on('exit', (exitCode) => resolve(exitCode)));
    clearTimeout(killer);
    const config = defaultConfig();
    await deleteNamespace(AMQP_URL, topology(namespace, config.queueType), createRetryPolicy(config).delays());
    return { code, stderr };
  }

  it('when the store is unreachable, should give up after START_LIMIT failed starts and exit 1 with the error last', async () => {
    const { code, stderr } = await startSupervisor({
      STORE: 'mongodb',
      // Port 1 refuses at once; a short selection timeout makes each start fail in well under a second.
      MONGODB_URI: 'mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=300&directConnection=true',
    });
    assert.equal(code, 1, `exits 1 instead of restarting forever; stderr ended:\n${stderr.slice(-2000)}`);
    const lines = stderr.trimEnd().split('\n');
    assert.match(lines.at(-1) ?? '', /could not start: .*(ECONNREFUSED|connect|Server selection|MongoDB)/i,
      `the child's error is the last line: ${lines.at(-1)}`);
    assert.match(stderr, /giving up/, 'says why it stopped');
  });

  it("when the gateway's port is taken (a second `npm start`), should exit 1 naming the address and PORT, with no stack trace", async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const { port } = holder.address() as AddressInfo;
    try {
      const { code, stderr } = await startSupervisor({ PORT: String(port) });
      assert.equal(code, 1, `stderr ended:\n${stderr.slice(-2000)}`);
      const lines = stderr.trimEnd().split('\n');
      assert.equal(lines.at(-1), `gateway could not start: 127.0.0.1:${port} is already in use (another gateway, or \`npm start\` running already?); stop it or set PORT to a free port`);
      assert.doesNotMatch(stderr, /Unhandled 'error' event|^\s+at /m, 'a clear line, not a crash');
    } finally {
      holder.close();
    }
  });
});
