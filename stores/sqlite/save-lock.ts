/**
 * One saver at a time for a saved index. Gateways sharing a data folder each follow the same
 * collections and save their indexes to the same files; a save is three renames (graph, vectors,
 * meta), so two saves at once could interleave and leave one gateway's graph beside another's
 * vectors and sequence number: a graph missing the changes in between, never applied again.
 * A save first creates `<meta>.lock` exclusively, and one that finds it taken is put off.
 *
 * A lock left by a process that died mid-save is taken over once it is older than
 * SAVE_LOCK_STALE_MS. Its age decides, not whether its process id is alive: gateways in separate
 * containers sharing a volume do not see each other's process ids.
 */
import { closeSync, openSync, rmSync, statSync, writeSync } from 'node:fs';

/** A save writes its files in seconds even at a million chunks; a lock this old was left behind. */
export const SAVE_LOCK_STALE_MS = 120_000;

/** Takes the lock at `lockPath`; returns its release, or null when another saver holds it. */
export function takeSaveLock(lockPath: string): (() => void) | null {
  const release = () => rmSync(lockPath, { force: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockPath, 'wx');
      try { writeSync(fd, String(process.pid)); } finally { closeSync(fd); }
      return release;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (!isStale(lockPath)) return null;
    rmSync(lockPath, { force: true });
  }
  return null; // another saver took the stale lock over first
}

function isStale(lockPath: string): boolean {
  try {
    return Date.now() - statSync(lockPath).mtimeMs > SAVE_LOCK_STALE_MS;
  } catch {
    return true; // released meanwhile: the next attempt takes it
  }
}
