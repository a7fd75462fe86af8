/**
 * Actor processes for the fault tests: each runs test/support/fault-actor-main.ts (the real
 * runActors, with optional fault seams from the environment) under the test system's namespace
 * and store, so a test can SIGKILL or SIGTERM it.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import type { Stage } from '../../schema/domain.ts';
import type { SystemConfig } from '../../config/config.ts';
import { eventually } from './contract-vectors.ts';
import { withAmqp } from './test-system.ts';
import type { Topology } from '../../messaging/topology.ts';
import { nodeArgs, PROJECT_ROOT } from '../../supervisor/node-command.ts';

export interface ActorProcess {
  readonly child: ChildProcess;
  readonly stages: readonly Stage[];
  /** Each stage queue's consumer count once this process consumed it (its own consumer included). */
  readonly consumersWhenReady: readonly number[];
  /** Resolves with the exit code (null when killed by a signal) and signal. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal: NodeJS.Signals): void;
}

/** The environment a child needs to join the test system (what readConfig reads). */
export function envOf(config: SystemConfig, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    AMQP_URL: config.amqpUrl,
    AMQP_NAMESPACE: config.namespace,
    DATA_DIR: config.dataDir,
    RETRY_DELAYS_MS: config.retryDelaysMs.join(','),
    PUBLISH_TIMEOUT_MS: String(config.publishTimeoutMs),
    FETCH_ALLOW_LIST: config.fetchAllowList.join(','),
    LOG_LEVEL: process.env.TEST_LOG ? 'debug' : 'silent',
    ...extra,
  };
}

/** Spawns `entry` (default the fault harness) for `stages` and waits until it consumes every stage queue. */
export async function spawnActor(
  stages: readonly Stage[], config: SystemConfig, names: Topology, extra: Record<string, string> = {},
  entry = 'test/support/fault-actor-main.ts',
): Promise<ActorProcess> {
  const before = await consumerCounts(stages, names);
  const child = spawn(process.execPath, [...nodeArgs(entry), ...stages.map((stage) => stage.toLowerCase())], {
    cwd: PROJECT_ROOT, env: envOf(config, extra), stdio: ['ignore', 'inherit', 'inherit'],
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const kill = (signal: NodeJS.Signals) => { if (child.exitCode === null && child.signalCode === null) child.kill(signal); };
  const deadline = Date.now() + 20_000;
  for (;;) {
    const now = await consumerCounts(stages, names);
    if (stages.every((stage, index) => now[index]! > before[index]!)) return { child, exited, kill, stages, consumersWhenReady: now };
    if (child.exitCode !== null || Date.now() > deadline) {
      kill('SIGKILL');
      throw new Error(`actor process for ${stages.join(',')} did not start consuming (exit code ${child.exitCode})`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Waits until the broker has dropped the consumers of a process that was killed: it notices the
 * closed connection a moment after the exit, and until then a replacement spawned meanwhile would
 * find the dead consumer in its "before" count and never see the count rise.
 */
export async function consumersGone(dead: ActorProcess, names: Topology): Promise<void> {
  await eventually(async () => {
    const now = await consumerCounts(dead.stages, names);
    assert.ok(dead.stages.every((_, index) => now[index]! < dead.consumersWhenReady[index]!),
      `the consumers of the dead ${dead.stages.join(',')} process are still registered: ${now.join(',')}`);
  }, 20_000);
}

async function consumerCounts(stages: readonly Stage[], names: Topology): Promise<number[]> {
  return withAmqp(async (channel) => {
    const counts: number[] = [];
    for (const stage of stages) counts.push((await channel.checkQueue(names.stageQueue(stage))).consumerCount);
    return counts;
  });
}
