/**
 * The scaling decision for one actor, as a pure function so it is testable without processes.
 * It follows KEDA's RabbitMQ scaler in `QueueLength` mode
 * (https://keda.sh/docs/latest/scalers/rabbitmq-queue/): the desired worker count is the
 * queue's ready messages divided by the target per worker, rounded up, within [min, max].
 * Consumer utilisation adds one worker when every consumer is busy and a backlog remains
 * (depth alone under-reacts when messages are few but slow). Scaling up is immediate; scaling
 * down waits until the lower count has been wanted for the whole cool-down, like KEDA's
 * `cooldownPeriod`, so a brief lull does not kill workers that are needed again a second later.
 */

/** Bounds and targets of one actor's scaling. */
export interface ScalingPolicy {
  readonly minWorkers: number;
  readonly maxWorkers: number;
  /** Ready messages per worker above which another worker is wanted. */
  readonly targetQueueLength: number;
  /** Mean consumer utilisation (0..1) at which the workers count as saturated; null: depth alone. */
  readonly targetUtilisation: number | null;
  /** How long a lower worker count must be wanted before scaling down, in ms. */
  readonly cooldownMs: number;
}

/** What the supervisor observed of one actor at `now`. */
export interface ScalingObservation {
  readonly now: number;
  readonly workers: number;
  /** Ready (not yet delivered) messages in the actor's stage queue. */
  readonly ready: number;
  /** Mean share of prefetch slots in use across the workers (0..1), or null when unknown. */
  readonly utilisation: number | null;
  /** Since when a lower count has been wanted (from the previous decision), or null. */
  readonly lowSince: number | null;
}

/** The decision: the worker count to run, why, and the state to pass to the next call. */
export interface ScalingDecision {
  readonly workers: number;
  readonly reason: string;
  readonly lowSince: number | null;
}

export function decideScale(policy: ScalingPolicy, seen: ScalingObservation): ScalingDecision {
  const { minWorkers: min, maxWorkers: max } = policy;
  const byDepth = Math.ceil(seen.ready / policy.targetQueueLength);
  const saturated = policy.targetUtilisation !== null && seen.utilisation !== null &&
    seen.utilisation >= policy.targetUtilisation && seen.ready > 0;
  const wanted = Math.max(byDepth, saturated ? seen.workers + 1 : 0);
  const desired = Math.min(max, Math.max(min, wanted));
  const why = `ready=${seen.ready} (target ${policy.targetQueueLength}/worker)` +
    (seen.utilisation === null ? '' : `, utilisation=${seen.utilisation.toFixed(2)}`);

  if (seen.workers < min || seen.workers > max) {
    return { workers: Math.min(max, Math.max(min, seen.workers)), reason: `outside [${min}, ${max}]`, lowSince: null };
  }
  if (desired > seen.workers) {
    return { workers: desired, reason: `scale up: ${why}${saturated && byDepth <= seen.workers ? ', consumers saturated' : ''}`, lowSince: null };
  }
  if (desired === seen.workers) return { workers: seen.workers, reason: 'steady', lowSince: null };
  const lowSince = seen.lowSince ?? seen.now;
  if (seen.now - lowSince < policy.cooldownMs) {
    return { workers: seen.workers, reason: `cooling down before scaling to ${desired}`, lowSince };
  }
  return { workers: desired, reason: `scale down after ${policy.cooldownMs} ms cool-down: ${why}`, lowSince: null };
}
