import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GraphQLError } from 'graphql';
import { silentLogger } from '../../observability/logger.ts';
import { ErrorCode, apiError } from '../errors.ts';
import { maskError } from '../hardening/mask-errors.ts';
import { KeyRing, generateApiKey, hashApiKey, parseApiKeyEntries } from './api-keys.ts';
import { assertSafeToListen, authenticate, isLoopbackHost } from './authenticate.ts';
import { loadApiKeys } from './load-api-keys.ts';

describe('API keys', () => {
  const key = generateApiKey();
  const entry = { name: 'ci', hash: hashApiKey(key), collections: ['docs'], roles: ['ingest'] };

  it('when a key is presented, should find its entry by hash, and nothing for another key', () => {
    const ring = new KeyRing(parseApiKeyEntries([entry], 'test'));
    assert.equal(ring.find(key)?.name, 'ci');
    assert.equal(ring.find(generateApiKey()), null);
    assert.deepEqual(authenticate(ring, `Bearer ${key}`), { ok: true, principal: { name: 'ci', collections: ['docs'], roles: ['ingest'] } });
    assert.deepEqual(authenticate(ring, undefined), { ok: false, reason: 'missing' });
    assert.deepEqual(authenticate(ring, 'Basic abc'), { ok: false, reason: 'missing' });
  });

  it('when an entry is malformed, should name the source, the entry and the field', () => {
    assert.throws(() => parseApiKeyEntries([{ ...entry, hash: 'md5:x' }], 'API_KEYS'), /API_KEYS: keys\.0\.hash/);
    assert.throws(() => parseApiKeyEntries([{ ...entry, roles: ['root'] }], 'API_KEYS'), /keys\.0\.roles/);
    assert.throws(() => new KeyRing(parseApiKeyEntries([entry, entry], 'x')), /used twice/);
  });

  it('when keys come from a YAML file and the environment, should load both', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rag-keys-'));
    try {
      const file = path.join(dir, 'keys.yaml');
      writeFileSync(file, `keys:\n  - name: file-key\n    hash: "${hashApiKey('a')}"\n    collections: "*"\n    roles: [admin]\n`);
      const ring = loadApiKeys({ apiKeysFile: file, apiKeys: JSON.stringify([entry]) });
      assert.equal(ring.size, 2);
      assert.equal(ring.find('a')?.name, 'file-key');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('when no key is configured, should refuse a non-loopback HOST and accept loopback ones', () => {
    const open = new KeyRing([]);
    for (const host of ['127.0.0.1', 'localhost', '::1', '[::1]', '127.0.0.2']) assert.ok(isLoopbackHost(host), host);
    assert.throws(() => assertSafeToListen(open, '0.0.0.0'), /HOST=0\.0\.0\.0 .*API_KEYS/);
    assert.doesNotThrow(() => assertSafeToListen(new KeyRing(parseApiKeyEntries([entry], 'x')), '0.0.0.0'));
  });
});

describe('error masking', () => {
  it('when an error is internal, should hide its message behind a request id; a coded one should pass', () => {
    const internal = new GraphQLError('SQLITE_CORRUPT at /var/data', { path: ['search'], originalError: new Error('SQLITE_CORRUPT at /var/data') });
    const masked = maskError(internal.toJSON(), internal, silentLogger);
    assert.match(masked.message, /^internal error \(request id [0-9a-f-]{36}\)$/);
    assert.equal(masked.extensions?.code, 'INTERNAL_SERVER_ERROR');
    const forbidden = apiError(ErrorCode.FORBIDDEN, 'no');
    const kept = maskError({ ...forbidden.toJSON(), extensions: { ...forbidden.extensions, stacktrace: ['x'] } }, forbidden, silentLogger);
    assert.equal(kept.message, 'no');
    assert.deepEqual(kept.extensions, { code: 'FORBIDDEN' });
  });
});
