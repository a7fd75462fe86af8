/**
 * Whether tests may start services with testcontainers. Asked once per run, quickly: `docker info`
 * with a short timeout (it fails fast where no engine runs). testcontainers is imported only after
 * the probe succeeds, since merely loading it needs a working engine setup (and a recent undici).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
let probe: Promise<string | null> | undefined;

/** null when a container engine answers; otherwise a short reason why not. */
export function containerEngineUnavailable(): Promise<string | null> {
  probe ??= run('docker', ['info', '--format', '{{.ServerVersion}}'], { timeout: 5000 })
    .then(() => null)
    .catch((error: unknown) => {
      const code = (error as { code?: unknown } | null)?.code;
      return code === 'ENOENT' ? 'no docker CLI on PATH' : '`docker info` failed';
    });
  return probe;
}

/** Loads testcontainers lazily; rejects with a one-line reason when it cannot be loaded here. */
export async function loadTestcontainers(): Promise<typeof import('testcontainers')> {
  try {
    return await import('testcontainers');
  } catch (error) {
    throw new Error(`testcontainers cannot be loaded: ${error instanceof Error ? error.message : String(error)}`);
  }
}
