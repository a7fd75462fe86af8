/**
 * `npm run keygen -- --name ci --collections docs,wiki --roles ingest,search`
 * Prints a new API key once, and the configuration entry (its hash) for API_KEYS / API_KEYS_FILE.
 */
import { Command, InvalidArgumentError } from 'commander';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { ROLES, generateApiKey, hashApiKey, parseApiKeyEntries, type ApiKeyEntry } from './api-keys.ts';

function csv(value: string): string[] {
  return value.split(',').map((item) => item.trim()).filter(Boolean);
}

const program = new Command('keygen')
  .description('Create an API key for the gateway: prints the key once and the configuration entry holding its hash.')
  .requiredOption('--name <name>', 'a name for the key (shown in logs)')
  .option('--collections <list>', 'comma-separated collections the key may use, or * for all', '*')
  .requiredOption('--roles <list>', `comma-separated roles: ${ROLES.join(', ')}`, (value) => {
    const roles = csv(value);
    const unknown = roles.filter((role) => !(ROLES as readonly string[]).includes(role));
    if (unknown.length > 0 || roles.length === 0) throw new InvalidArgumentError(`roles must be among ${ROLES.join(', ')}`);
    return roles;
  })
  .option('--yaml', 'print the entry as YAML instead of JSON')
  .option('--out <file>', 'append the entry to this YAML key file (created if missing) instead of printing it')
  .option('--if-missing', 'with --out: do nothing when the file exists already (first-start provisioning)');

program.parse();
const options = program.opts<{ name: string; collections: string; roles: string[]; yaml?: boolean; out?: string; ifMissing?: boolean }>();
if (options.out && options.ifMissing && existsSync(options.out)) {
  console.log(`${options.out} exists; no key created`);
  process.exit(0);
}
const key = generateApiKey();
const draft = { name: options.name, hash: hashApiKey(key), collections: options.collections.trim() === '*' ? '*' : csv(options.collections), roles: options.roles };
let entry: ApiKeyEntry;
try {
  [entry] = parseApiKeyEntries([draft], 'keygen') as [ApiKeyEntry];
} catch (error) {
  console.error((error as Error).message);
  process.exit(2);
}
console.log(`API key (shown once; store it safely, the gateway keeps only its hash):\n\n  ${key}\n`);
if (options.out) {
  const existing = existsSync(options.out) ? parseYaml(readFileSync(options.out, 'utf8')) as { keys?: unknown[] } | unknown[] | null : null;
  const keys = Array.isArray(existing) ? existing : existing?.keys ?? [];
  mkdirSync(path.dirname(options.out), { recursive: true });
  writeFileSync(options.out, toYaml({ keys: [...keys, entry] }), { mode: 0o600 });
  console.log(`Added key "${entry.name}" to ${options.out}`);
} else {
  console.log(`Add this entry to API_KEYS_FILE (or the API_KEYS JSON array):\n`);
  console.log(options.yaml ? toYaml([entry]) : JSON.stringify(entry, null, 2));
}
console.log(`\nClients send it as:  Authorization: Bearer ${key.slice(0, 6)}…`);
