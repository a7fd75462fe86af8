/**
 * `npm start` killed outright (SIGKILL, the OOM killer, a crash): nothing stops its gateway and
 * workers any more, so each must notice on its own (its IPC channel to the supervisor closes) and
 * stop, freeing the gateway's port for the next `npm start` and the queues for other workers.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createRetryPolicy } from '../config/components.ts';
import { defaultConfig } from '../config/config.ts';
import { topology } from '../messaging/topology.ts';
import { checkStageQueues } from '../messaging/stage-depth.ts';
import { nodeArgs, PROJECT_ROOT } from '../supervisor/node-command.ts';
import { childrenOf, statFields } from '../supervisor/proc-stat.ts';
import { AMQP_URL, deleteNamespace, withAmqp } from './support/test-system.ts';

/** A port nothing listens on now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Whether the process has exited (gone, or a zombie nobody reaped yet). */
const exited = (pid: number) => ['Z', 'X', undefined].includes(statFields(`/proc/${pid}/stat`)?.[0]);

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('supervisor killed outright', function () {
  this.timeout(120_000);

  it('when the supervisor is killed with SIGKILL, should have its gateway and worker stop by themselves, freeing the port and the queues', async function () {
    if (!existsSync(`/proc/${process.pid}/task/${process.pid}/children`)) {
      console.log('    supervisor killed: skipped — no /proc/<pid>/task/<pid>/children to find its processes (not Linux)');
      this.skip();
    }
    const dataDir = mkdtempSync(path.join(tmpdir(), 'rag-killed-'));
    const namespace = `test-${randomUUID().slice(0, 8)}`;
    const names = topology(namespace, defaultConfig().queueType);
    const port = await freePort();
    const supervisor = spawn(process.execPath, nodeArgs('supervisor/main.ts'), {
      cwd: PROJECT_ROOT,
      stdio: ['ignore', 'ignore', 'ignore'],
      env: {
        ...process.env, AMQP_URL, AMQP_NAMESPACE: namespace, DATA_DIR: dataDir, PORT: String(port),
        MIN_WORKERS: '1', MAX_WORKERS: '1', LOG_LEVEL: 'info', OTEL_SDK_DISABLED: 'true',
      },
    });
    let children: number[] = [];
    const parseConsumers = () => withAmqp(async (channel) => (await checkStageQueues(channel, names.stageQueues('PARSE'))).consumers);
    const gatewayAnswers = () => fetch(`http://127.0.0.1:${port}/graphql`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ __typename }' }),
    }).then((response) => response.ok, () => false);
    try {
      await until('the gateway answering', gatewayAnswers);
      await until('the pipeline worker consuming', async () => (await parseConsumers().catch(() => 0)) === 1);
      children = childrenOf(supervisor.pid!);
      assert.equal(children.length, 2, `the gateway and one pipeline worker: ${children}`);

      supervisor.kill('SIGKILL');
      await until('the gateway and the worker gone', () => children.every(exited), 30_000);
      assert.equal(await gatewayAnswers(), false, 'nothing answers on the port');
      assert.equal(await parseConsumers(), 0, 'no consumer left on the parse queue');
      // The port is free for the next `npm start`.
      const server = createServer();
      await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    } finally {
      supervisor.kill('SIGKILL');
      for (const pid of children) if (!exited(pid)) process.kill(pid, 'SIGKILL');
      await deleteNamespace(AMQP_URL, names, createRetryPolicy(defaultConfig()).delays());
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
