/**
 * The fault tests' hands on the broker, through `rabbitmqctl`. Every fault is undone by the
 * caller in a `finally`; these helpers only run the commands.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import amqp from 'amqplib';
import { AMQP_URL } from './test-system.ts';

const run = promisify(execFile);

export async function rabbitmqctl(...args: string[]): Promise<string> {
  const { stdout } = await run('rabbitmqctl', args, { timeout: 60_000 });
  return stdout;
}

/**
 * Force-closes the broker connections whose name starts with `namespace` (every process of one
 * test system names its connections so): the same fault as `rabbitmqctl close_all_connections`
 * from the clients' side, without cutting off other test runs sharing the broker.
 */
export async function closeConnections(namespace: string): Promise<number> {
  // The plain table prints pids in the form close_connection accepts (<rabbit@host.N.N.N>).
  const table = await rabbitmqctl('list_connections', 'pid', 'client_properties', '-q', '--no-table-headers');
  const ours = table.split('\n').map((line) => line.split('\t')).filter(([pid, properties]) => pid && properties?.includes(`"${namespace} `));
  await Promise.all(ours.map(([pid]) => rabbitmqctl('close_connection', pid!, 'test: forced close')));
  return ours.length;
}

/** The memory high watermark in force now (relative form, e.g. 0.4), to restore after an alarm test. */
export async function memoryWatermark(): Promise<string> {
  const environment = await rabbitmqctl('environment');
  const match = /\{vm_memory_high_watermark,\s*([0-9.e-]+)\}/.exec(environment);
  return match?.[1] ?? '0.4';
}

/** Waits until the broker accepts connections again (after start_app). */
export async function waitForBroker(timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const connection = await amqp.connect(AMQP_URL);
      await connection.close();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}
