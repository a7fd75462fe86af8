/**
 * Debian packages as data: `apt-get download` + `dpkg -x` into a git-ignored folder, never
 * `apt-get install` (on these machines that could replace the installed Node.js).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Unpacks `pkg` under `<dir>/root` (once: a stamp file remembers it) and returns the .deb's file name. */
export function unpackDebianPackage(dir: string, pkg: string): string {
  const unpacked = path.join(dir, 'root');
  mkdirSync(dir, { recursive: true });
  const find = () => readdirSync(dir).find((name) => name.startsWith(`${pkg}_`) && name.endsWith('.deb'));
  let deb = find();
  if (!deb) {
    try {
      execFileSync('apt-get', ['download', pkg], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    } catch {
      // The package lists may be missing on a fresh machine.
      execFileSync('apt-get', ['update'], { stdio: 'ignore' });
      execFileSync('apt-get', ['download', pkg], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    }
    deb = find();
    if (!deb) throw new Error(`apt-get download ${pkg} left no .deb in ${dir}: check the Debian mirror in /etc/apt/sources.list`);
  }
  // Packages may share directories (manpages and manpages-dev both have man3/): stamp each one.
  const stamp = path.join(dir, `${deb}.unpacked`);
  if (!existsSync(stamp)) {
    execFileSync('dpkg', ['-x', path.join(dir, deb), unpacked]);
    writeFileSync(stamp, '');
  }
  return deb;
}
