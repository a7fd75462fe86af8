/** Reads the configured API keys from API_KEYS (JSON) and API_KEYS_FILE (JSON or YAML). */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { SystemConfig } from '../../config/config.ts';
import { KeyRing, parseApiKeyEntries, type ApiKeyEntry } from './api-keys.ts';

export function loadApiKeys(config: Pick<SystemConfig, 'apiKeys' | 'apiKeysFile'>): KeyRing {
  const entries: ApiKeyEntry[] = [];
  if (config.apiKeys) {
    let value: unknown;
    try {
      value = JSON.parse(config.apiKeys);
    } catch (error) {
      throw new Error(`API_KEYS is not valid JSON: ${(error as Error).message}`);
    }
    entries.push(...parseApiKeyEntries(value, 'API_KEYS'));
  }
  if (config.apiKeysFile) {
    let text: string;
    try {
      text = readFileSync(config.apiKeysFile, 'utf8');
    } catch (error) {
      throw new Error(`API_KEYS_FILE ${config.apiKeysFile} cannot be read: ${(error as Error).message}`);
    }
    let value: unknown;
    try {
      // YAML is a superset of JSON: one parser reads both.
      value = parseYaml(text);
    } catch (error) {
      throw new Error(`API_KEYS_FILE ${config.apiKeysFile} is neither JSON nor YAML: ${(error as Error).message}`);
    }
    entries.push(...parseApiKeyEntries(value, `API_KEYS_FILE ${config.apiKeysFile}`));
  }
  return new KeyRing(entries);
}
