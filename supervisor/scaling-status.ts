/**
 * The supervisor's view of its workers, written to `<DATA_DIR>/supervisor-status.json` after
 * every scaling tick so the gateway (or an operator) can read current worker counts without a
 * channel to the supervisor. Written to a temporary file and renamed, so readers never see half.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Stage } from '../schema/domain.ts';

const SCALING_STATUS_FILE = 'supervisor-status.json';

/** One actor's workers and the last scaling decision. */
export interface StageScalingStatus {
  readonly workers: number;
  readonly minWorkers: number;
  readonly maxWorkers: number;
  /** Ready messages in the stage queue at the last tick. */
  readonly ready: number;
  readonly consumers: number;
  /** Mean consumer utilisation reported by the workers (0..1), or null before the first report. */
  readonly utilisation: number | null;
  readonly lastDecision: { readonly at: string; readonly from: number; readonly to: number; readonly reason: string } | null;
}

/** The whole status file. */
export interface ScalingStatus {
  readonly updatedAt: string;
  readonly pid: number;
  readonly stages: Readonly<Partial<Record<Stage, StageScalingStatus>>>;
}

function scalingStatusPath(dataDir: string): string {
  return path.join(dataDir, SCALING_STATUS_FILE);
}

export async function writeScalingStatus(dataDir: string, status: ScalingStatus): Promise<void> {
  const file = scalingStatusPath(dataDir);
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, JSON.stringify(status, null, 2));
  await rename(temporary, file);
}

/** The last status the supervisor wrote, or null when no supervisor runs on this DATA_DIR. */
export async function readScalingStatus(dataDir: string): Promise<ScalingStatus | null> {
  try {
    return JSON.parse(await readFile(scalingStatusPath(dataDir), 'utf8')) as ScalingStatus;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}
