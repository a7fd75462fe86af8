/**
 * A three-node RabbitMQ cluster beside the machine's own node, for the cluster fault tests. The
 * machine's node (rabbit@localhost, 5672) is shared and never touched: each extra node has its own
 * name, folders, pid file, plugins file, config file (listeners.tcp.local names its port; the
 * machine's /etc/rabbitmq/rabbitmq.conf pins 5672) and distribution port, runs as the rabbitmq
 * user with the machine's Erlang cookie, and joins the first node at boot through classic-config
 * peer discovery (no stop_app/join_cluster/start_app round trips). Nodes left by a crashed run
 * are killed (by the pid their files or command lines name) and deleted before starting.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync, chownSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import amqp from 'amqplib';

const run = promisify(execFile);
const ROOT = '/tmp/rag-test-cluster';
/** Ports chosen away from RabbitMQ's defaults (5672, 25672) and other services on the machine. */
const FIRST_AMQP_PORT = 5791;
const FIRST_DIST_PORT = 25791;
const SERVER = '/usr/lib/rabbitmq/bin/rabbitmq-server';

/** One node of the test cluster. */
export interface ClusterNode {
  readonly name: string;
  readonly url: string;
  readonly amqpPort: number;
  readonly dir: string;
}

/** Why the cluster tests cannot run here, or null when they can. */
export function clusterUnavailable(): string | null {
  if (!existsSync(SERVER)) return `rabbitmq-server is not installed (${SERVER} missing)`;
  return null;
}

export class RabbitCluster {
  private constructor(readonly nodes: readonly ClusterNode[]) {}

  /** Every node's URL comma-separated: what AMQP_URL holds for a cluster. */
  get amqpUrl(): string {
    return this.nodes.map((node) => node.url).join(',');
  }

  /** Cleans any stale nodes, starts three in parallel, and waits until all three run as one cluster. */
  static async start(): Promise<RabbitCluster> {
    const nodes = [1, 2, 3].map((index): ClusterNode => ({
      name: `ragcluster${index}@localhost`,
      amqpPort: FIRST_AMQP_PORT + index - 1,
      url: `amqp://guest:guest@127.0.0.1:${FIRST_AMQP_PORT + index - 1}`,
      dir: path.join(ROOT, `node${index}`),
    }));
    const cluster = new RabbitCluster(nodes);
    await cluster.teardown();
    mkdirSync(ROOT, { recursive: true });
    const { uid, gid } = await rabbitmqIds();
    for (const node of nodes) prepare(node, nodes, uid, gid);
    await Promise.all(nodes.map((node) => cluster.startNode(node)));
    await cluster.waitForMembers(3);
    return cluster;
  }

  /** Boots `node`'s Erlang VM (again, after a kill or stop: it rejoins with its data) and waits for AMQP. */
  async startNode(node: ClusterNode, timeoutMs = 120_000): Promise<void> {
    // A VM still shutting down holds the node name: wait for it to be gone.
    const gone = Date.now() + 30_000;
    while (vmPids(node).length > 0 && Date.now() < gone) await sleep(200);
    const env = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: '/var/lib/rabbitmq',
      RABBITMQ_NODENAME: node.name,
      RABBITMQ_MNESIA_BASE: path.join(node.dir, 'mnesia'),
      RABBITMQ_LOG_BASE: path.join(node.dir, 'log'),
      RABBITMQ_PID_FILE: path.join(node.dir, 'rabbit.pid'),
      RABBITMQ_ENABLED_PLUGINS_FILE: path.join(node.dir, 'enabled_plugins'),
      RABBITMQ_CONFIG_FILE: path.join(node.dir, 'rabbitmq.conf'),
      RABBITMQ_DIST_PORT: String(node.amqpPort - FIRST_AMQP_PORT + FIRST_DIST_PORT),
      // Boot lean: this machine is shared and small.
      RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '+S 1:1 +A 4',
    };
    const out = path.join(node.dir, 'console.log');
    const child = spawn('runuser', ['-u', 'rabbitmq', '--', 'sh', '-c', `exec ${SERVER} >>${out} 2>&1`], {
      env, detached: true, stdio: 'ignore',
    });
    child.unref();
    await waitForAmqp(node, timeoutMs);
  }

  /** kill -9 of the node's Erlang VM: no goodbye to clients or peers. */
  killNode(node: ClusterNode): void {
    const pids = vmPids(node);
    if (pids.length === 0) throw new Error(`${node.name} has no running VM to kill`);
    for (const pid of pids) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* exited meanwhile */ }
    }
  }

  /** Stops the RabbitMQ application on `node` (the VM stays, as in a partition the node sits out). */
  async stopApp(node: ClusterNode): Promise<void> {
    await ctl(node, 'stop_app');
  }

  async startApp(node: ClusterNode): Promise<void> {
    await ctl(node, 'start_app');
    await waitForAmqp(node, 120_000);
  }

  /** Stops the node's VM gracefully (rabbitmqctl stop), as a rolling restart does. */
  async stopNode(node: ClusterNode): Promise<void> {
    await ctl(node, 'stop');
  }

  /** The node leading most of the quorum queues whose names start with `prefix`. */
  async leaderOf(prefix: string, via: ClusterNode): Promise<ClusterNode> {
    const table = await ctl(via, 'list_queues', 'name', 'leader', '-q', '--no-table-headers');
    const counts = new Map<string, number>();
    for (const [name, leader] of table.split('\n').map((line) => line.trim().split(/\s+/))) {
      if (name?.startsWith(prefix) && leader) counts.set(leader, (counts.get(leader) ?? 0) + 1);
    }
    const [leader] = [...counts.entries()].sort((a, b) => b[1] - a[1])[0] ?? [];
    const node = this.nodes.find((candidate) => candidate.name === leader);
    if (!node) throw new Error(`no quorum queue under ${prefix} has a leader among the test nodes (${table.slice(0, 200)})`);
    return node;
  }

  /** Waits until `count` nodes run in the cluster (as seen from a running node). */
  async waitForMembers(count: number, timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      let running: string[] = [];
      for (const node of this.nodes) {
        try {
          const status = JSON.parse(await ctl(node, 'cluster_status', '--formatter', 'json')) as { running_nodes?: string[] };
          running = status.running_nodes ?? [];
          break;
        } catch { /* this node is down: ask the next */ }
      }
      if (running.length >= count) return;
      if (Date.now() > deadline) throw new Error(`the test cluster has ${running.length} running nodes, expected ${count}: ${running.join(', ')}`);
      await sleep(1000);
    }
  }

  /** Kills every node of the test cluster and deletes its folders (also what a crashed run left). */
  async teardown(): Promise<void> {
    for (const node of this.nodes) {
      for (const pid of vmPids(node)) {
        try { process.kill(pid, 'SIGKILL'); } catch { /* gone already */ }
      }
    }
    await sleep(300);
    rmSync(ROOT, { recursive: true, force: true });
  }
}

function prepare(node: ClusterNode, nodes: readonly ClusterNode[], uid: number, gid: number): void {
  for (const sub of ['', 'mnesia', 'log']) mkdirSync(path.join(node.dir, sub), { recursive: true });
  writeFileSync(path.join(node.dir, 'enabled_plugins'), '[].\n');
  writeFileSync(path.join(node.dir, 'rabbitmq.conf'), [
    `listeners.tcp.local = 127.0.0.1:${node.amqpPort}`,
    'cluster_formation.peer_discovery_backend = classic_config',
    ...nodes.map((peer, position) => `cluster_formation.classic_config.nodes.${position + 1} = ${peer.name}`),
    // No random wait before forming the cluster: the nodes start together on purpose.
    'cluster_formation.randomized_startup_delay_range.min = 0',
    'cluster_formation.randomized_startup_delay_range.max = 1',
    // A lost peer is noticed in seconds, not the default minute.
    'net_ticktime = 10',
    '',
  ].join('\n'));
  for (const file of ['', 'mnesia', 'log', 'enabled_plugins', 'rabbitmq.conf']) chownSync(path.join(node.dir, file), uid, gid);
  chownSync(ROOT, uid, gid);
}

async function rabbitmqIds(): Promise<{ uid: number; gid: number }> {
  const [uid, gid] = await Promise.all([run('id', ['-u', 'rabbitmq']), run('id', ['-g', 'rabbitmq'])]);
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/** rabbitmqctl against one test node (the wrapper runs it as the rabbitmq user, with its cookie). */
async function ctl(node: ClusterNode, ...args: string[]): Promise<string> {
  const { stdout } = await run('rabbitmqctl', ['-n', node.name, ...args], { timeout: 90_000 });
  return stdout;
}

/**
 * The pids of the node's Erlang VM: the one its pid file names and any process whose command line
 * carries exactly its node name (a VM that died before writing the pid file, or a stale run's).
 */
function vmPids(node: ClusterNode): number[] {
  const pids = new Set<number>();
  try {
    const pid = Number(readFileSync(path.join(node.dir, 'rabbit.pid'), 'utf8').trim());
    if (pid > 0 && alive(pid)) pids.add(pid);
  } catch { /* no pid file */ }
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (args[0]?.endsWith('beam.smp') && args.includes(node.name)) pids.add(Number(entry));
    } catch { /* exited meanwhile */ }
  }
  return [...pids];
}

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

async function waitForAmqp(node: ClusterNode, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const connection = await amqp.connect(node.url);
      await connection.close();
      return;
    } catch (error) {
      if (Date.now() > deadline) {
        throw new Error(`${node.name} did not accept AMQP on ${node.amqpPort} within ${timeoutMs} ms (see ${node.dir}/log): ${String(error)}`);
      }
      await sleep(500);
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
