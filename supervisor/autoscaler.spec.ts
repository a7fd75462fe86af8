import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Channel } from 'amqplib';
import type { Broker } from '../messaging/broker.ts';
import { topology } from '../messaging/topology.ts';
import { silentLogger, type Logger } from '../observability/logger.ts';
import { STAGES, type Stage } from '../schema/domain.ts';
import { Autoscaler } from './autoscaler.ts';
import { Supervisor } from './supervisor.ts';

const only = (stage: Stage, count: number) => Object.fromEntries(STAGES.map((each) => [each, each === stage ? count : 0])) as Record<Stage, number>;

/** A supervisor that records what it is asked to start and stop, and starts nothing. */
class RecordingSupervisor {
  readonly spawned: string[] = [];
  readonly stopped: string[] = [];
  onMessage(): void {}
  spawn(name: string): void { this.spawned.push(name); }
  async stop(name: string): Promise<void> { this.stopped.push(name); }
}

describe('autoscaler', () => {
  let dataDir: string;
  beforeEach(() => { dataDir = mkdtempSync(path.join(tmpdir(), 'rag-autoscaler-')); });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('when stopped while a tick reads the queue depths, should start no worker for the backlog it then reads', async () => {
    let release!: () => void;
    const depthsRead = new Promise<void>((resolve) => { release = resolve; });
    let reading!: () => void;
    const tickStarted = new Promise<void>((resolve) => { reading = resolve; });
    // Every queue holds 100 ready messages, answered once the test releases them.
    const channel = { checkQueue: async () => ({ messageCount: 100, consumerCount: 1 }) } as unknown as Channel;
    const broker = {
      withChannel: async <T>(work: (channel: Channel) => Promise<T>) => { reading(); await depthsRead; return work(channel); },
    } as unknown as Broker;
    const supervisor = new RecordingSupervisor();
    const autoscaler = new Autoscaler(supervisor as unknown as Supervisor, broker, topology('spec', 'classic'), {
      pipelineWorkers: 0, minWorkers: only('EMBED', 1), maxWorkers: only('EMBED', 4),
      targetQueueLength: 10, targetUtilisation: null, intervalMs: 10, cooldownMs: 1000,
    }, dataDir, silentLogger);

    await autoscaler.start();
    assert.deepEqual(supervisor.spawned, ['actor-embed-1'], 'the minimum at start');
    await tickStarted;
    await autoscaler.stop();
    assert.deepEqual(supervisor.stopped, ['actor-embed-1']);
    release();
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(supervisor.spawned, ['actor-embed-1'], 'no worker started after stop, though 100 messages wait for embed');
  });
});

describe('supervisor', () => {
  it('when asked to start a process after it began stopping all, should start none', async () => {
    const started: string[] = [];
    const logger: Logger = {
      debug: () => {}, warn: () => {}, error: () => {}, child: () => logger,
      info: (message, fields) => { if (message === 'process started') started.push(String(fields?.name)); },
    };
    const supervisor = new Supervisor(logger, { startLimit: 3, stopGraceMs: 1000 });
    await supervisor.stopAll();
    supervisor.spawn('actor-embed-9', 'services/actor-main.ts', ['embed']);
    await supervisor.stopAll();
    assert.deepEqual(started, [], 'a process started then would outlive the supervisor');
  });
});
