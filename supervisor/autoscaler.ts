/**
 * Keeps each actor between its minimum and maximum number of worker processes: every
 * `intervalMs` it reads each stage queue's ready messages (passive queue.declare, no plugin
 * needed) and the workers' reported utilisation, asks the scaling policy, starts or stops
 * workers, logs every change and writes the status file the gateway can read.
 *
 * The pipeline workers (PIPELINE_WORKERS) run every actor and hand work on in process, so a
 * document crosses the broker once when nothing backs up. They always run and count as a worker
 * of every stage; what scales is the single-stage workers beside them, for the stage whose queue
 * grows (a slow embedder: the pipeline workers' embed slots fill, chunk results go to the embed
 * queue, and embed workers are added until it drains).
 */
import { mkdir } from 'node:fs/promises';
import { STAGES, type Stage } from '../schema/domain.ts';
import type { Logger } from '../observability/logger.ts';
import type { ScalingConfig } from '../config/config.ts';
import type { Broker } from '../messaging/broker.ts';
import type { Topology } from '../messaging/topology.ts';
import { checkStageQueues } from '../messaging/stage-depth.ts';
import { decideScale, type ScalingPolicy } from './scaling-policy.ts';
import { writeScalingStatus, type StageScalingStatus } from './scaling-status.ts';
import type { Supervisor } from './supervisor.ts';

const ACTOR_ENTRY = 'services/actor-main.ts';

interface StageGroup {
  readonly stage: Stage;
  readonly policy: ScalingPolicy;
  readonly workers: string[];
  nextId: number;
  lowSince: number | null;
  ready: number;
  consumers: number;
  lastDecision: StageScalingStatus['lastDecision'];
}

export class Autoscaler {
  private readonly groups: StageGroup[];
  private readonly pipeline: string[] = [];
  private readonly utilisation = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private ticking = false;
  /** Set by stop: a tick that was reading queue depths then must not start or stop workers. */
  private stopped = false;

  constructor(
    private readonly supervisor: Supervisor,
    private readonly broker: Broker,
    private readonly names: Topology,
    private readonly config: ScalingConfig,
    private readonly dataDir: string,
    private readonly logger: Logger,
  ) {
    this.groups = STAGES.map((stage) => ({
      stage,
      policy: {
        minWorkers: config.minWorkers[stage], maxWorkers: config.maxWorkers[stage],
        targetQueueLength: config.targetQueueLength, targetUtilisation: config.targetUtilisation, cooldownMs: config.cooldownMs,
      },
      workers: [], nextId: 1, lowSince: null, ready: 0, consumers: 0, lastDecision: null,
    }));
    supervisor.onMessage((name, message) => {
      const report = message as { type?: unknown; value?: unknown } | null;
      if (report?.type === 'utilisation' && typeof report.value === 'number') this.utilisation.set(name, report.value);
    });
  }

  /** Starts the pipeline workers and each actor's minimum workers, then scales every intervalMs. */
  async start(): Promise<void> {
    await mkdir(this.dataDir, { recursive: true });
    const stages = STAGES.map((stage) => stage.toLowerCase());
    for (let id = 1; id <= this.config.pipelineWorkers; id++) {
      const name = `actor-pipeline-${id}`;
      this.pipeline.push(name);
      this.supervisor.spawn(name, ACTOR_ENTRY, stages);
    }
    for (const group of this.groups) this.resize(group, group.policy.minWorkers);
    this.timer = setInterval(() => void this.tick(), this.config.intervalMs);
    await this.writeStatus();
  }

  /** Stops scaling and every worker. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const workers = [...this.pipeline.splice(0), ...this.groups.flatMap((group) => group.workers.splice(0))];
    await Promise.all(workers.map((name) => this.supervisor.stop(name)));
  }

  private async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      for (const group of this.groups) {
        const queues = this.names.stageQueues(group.stage);
        try {
          const { ready, consumers } = await this.broker.withChannel((channel) => checkStageQueues(channel, queues));
          if (this.stopped) return;
          group.ready = ready;
          group.consumers = consumers;
        } catch (error) {
          this.logger.debug('queue depth unavailable; skipping this tick', { queues, error: String(error) });
          continue;
        }
        const workers = this.workersOf(group);
        const decision = decideScale(group.policy, {
          now: Date.now(), workers, ready: group.ready, utilisation: this.stageUtilisation(group), lowSince: group.lowSince,
        });
        group.lowSince = decision.lowSince;
        if (decision.workers !== workers) {
          this.logger.info('scaling actor', { stage: group.stage, from: workers, to: decision.workers, reason: decision.reason });
          group.lastDecision = { at: new Date().toISOString(), from: workers, to: decision.workers, reason: decision.reason };
          this.resize(group, decision.workers);
        }
      }
      await this.writeStatus();
    } catch (error) {
      this.logger.warn('scaling tick failed', { error: String(error) });
    } finally {
      this.ticking = false;
    }
  }

  /** Processes consuming the stage: the pipeline workers and the stage's own. */
  private workersOf(group: StageGroup): number {
    return this.pipeline.length + group.workers.length;
  }

  /** To `total` workers of the stage, the pipeline workers counted: starts or stops the stage's own. */
  private resize(group: StageGroup, total: number): void {
    const stage = group.stage.toLowerCase();
    const workers = Math.max(0, total - this.pipeline.length);
    while (group.workers.length < workers) {
      const name = `actor-${stage}-${group.nextId++}`;
      group.workers.push(name);
      this.supervisor.spawn(name, ACTOR_ENTRY, [stage]);
    }
    while (group.workers.length > workers) {
      const name = group.workers.pop()!;
      this.utilisation.delete(name);
      void this.supervisor.stop(name);
    }
  }

  /** Of the stage's own workers: a pipeline worker reports one figure for all its actors. */
  private stageUtilisation(group: StageGroup): number | null {
    const values = group.workers.map((name) => this.utilisation.get(name)).filter((value): value is number => value !== undefined);
    return values.length === 0 ? null : values.reduce((sum, value) => sum + value, 0) / values.length;
  }

  private async writeStatus(): Promise<void> {
    const stages = Object.fromEntries(this.groups.map((group): [Stage, StageScalingStatus] => [group.stage, {
      workers: this.workersOf(group), minWorkers: group.policy.minWorkers, maxWorkers: group.policy.maxWorkers,
      ready: group.ready, consumers: group.consumers, utilisation: this.stageUtilisation(group), lastDecision: group.lastDecision,
    }]));
    await writeScalingStatus(this.dataDir, { updatedAt: new Date().toISOString(), pid: process.pid, stages });
  }
}
