/**
 * One saver at a time for a saved index. Gateways sharing a data folder each follow the same
 * collections and save their indexes to the same files; a save is three renames (graph, vectors,
 * meta), so two saves at once could interleave and leave one gateway's graph beside another's
 * vectors and sequence number: a graph missing the changes in between, never applied again.
 * A save first creates `<meta>.lock` exclusively, and one that finds it taken is put off.
 *
 * A lock left by a process that died mid-save is taken over once it is older than
 * SAVE_LOCK_STALE_MS. Its age decides, not whether its process id is alive: gateways in separate
 * containers sharing a volume do not see each other's process ids. Taking over is itself done by
 * one saver at a time, under `<lock>.takeover`: two savers that found the same stale lock would
 * otherwise each remove it, the second removing the lock the first had just taken, and both save.
 */
import { closeSync, openSync, rmSync, statSync, writeSync } from 'node:fs';

/** A save writes its files in seconds even at a million chunks; a lock this old was left behind. */
export const SAVE_LOCK_STALE_MS = 120_000;

/** Takes the lock at `lockPath`; returns its release, or null when another saver holds it. */
export function takeSaveLock(lockPath: string): (() => void) | null {
  const release = () => rmSync(lockPath, { force: true });
  if (createExclusively(lockPath)) return release;
  if (!isStale(lockPath)) return null;
  const takeoverPath = `${lockPath}.takeover`;
  if (!createExclusively(takeoverPath)) {
    // Another saver is taking the lock over. A takeover lasts microseconds, so one this old was
    // left by a saver that died in between: removed, and the next attempt takes the lock over.
    if (isStale(takeoverPath)) rmSync(takeoverPath, { force: true });
    return null;
  }
  try {
    // Checked again under the takeover lock: another saver may have replaced it meanwhile.
    if (!isStale(lockPath)) return null;
    rmSync(lockPath, { force: true });
    return createExclusively(lockPath) ? release : null;
  } finally {
    rmSync(takeoverPath, { force: true });
  }
}

/** Creates `filePath` holding this process's id; false when it exists. */
function createExclusively(filePath: string): boolean {
  let fd: number;
  try {
    fd = openSync(filePath, 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try { writeSync(fd, String(process.pid)); } finally { closeSync(fd); }
  return true;
}

function isStale(filePath: string): boolean {
  try {
    return Date.now() - statSync(filePath).mtimeMs > SAVE_LOCK_STALE_MS;
  } catch {
    return true; // released meanwhile: the next attempt takes it
  }
}
