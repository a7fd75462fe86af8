import assert from 'node:assert/strict';
import { readConfig } from '../../config/config.ts';
import { assertSafeOrigins, hostRefusal, originRefusal } from './origin-policy.ts';

describe('origin policy', () => {
  const open = { open: true, allowedOrigins: [] };
  const keyed = { open: false, allowedOrigins: ['https://app.example.com'] };

  it('when ALLOWED_ORIGINS is read, should normalize origins and refuse anything that is not one, naming the variable', () => {
    assert.deepEqual(readConfig({ ALLOWED_ORIGINS: 'https://App.Example.com, http://localhost:3000/, https://a.example:443, *' }).allowedOrigins,
      ['https://app.example.com', 'http://localhost:3000', 'https://a.example', '*']);
    for (const bad of ['app.example.com', 'https://app.example.com/path', 'https://app.example.com?x=1', 'https://user@app.example.com', 'null']) {
      assert.throws(() => readConfig({ ALLOWED_ORIGINS: bad }), /ALLOWED_ORIGINS entries must be \* or origins/, bad);
    }
  });

  it('when the gateway is open, should answer loopback Host names only, in any spelling', () => {
    for (const host of ['localhost', 'localhost:4000', '127.0.0.1:4000', '127.1.2.3', '[::1]:4000', '[::ffff:127.0.0.1]:4000']) {
      assert.equal(hostRefusal(open, host), null, host);
    }
    for (const host of ['evil.example', 'localhost.evil.example:4000', '10.0.0.5', '0.0.0.0:4000', '[::]:4000', 'not a host']) {
      assert.match(hostRefusal(open, host) ?? '', /not a loopback name/, host);
    }
    assert.equal(hostRefusal(keyed, 'evil.example'), null, 'keys protect a gateway under any name');
  });

  it('when Host headers repeat or flood with new names, should judge each the same every time', () => {
    for (let i = 0; i < 1000; i++) assert.match(hostRefusal(open, `evil-${i}.example`) ?? '', /not a loopback name/);
    for (let round = 0; round < 3; round++) {
      assert.equal(hostRefusal(open, 'localhost:4000'), null);
      assert.match(hostRefusal(open, 'evil.example') ?? '', /not a loopback name/);
    }
  });

  it('when an Origin is judged, should accept none, loopback in open mode, and the own or allowed ones with keys', () => {
    assert.equal(originRefusal(open, undefined, 'localhost:4000'), null);
    assert.equal(originRefusal(open, 'http://localhost:5173', 'localhost:4000'), null);
    assert.match(originRefusal(open, 'https://evil.example', 'localhost:4000') ?? '', /loopback origins only/);
    assert.match(originRefusal(open, 'null', 'localhost:4000') ?? '', /may not open/);
    assert.equal(originRefusal(keyed, 'https://gw.example:4000', 'gw.example:4000'), null, 'own origin');
    assert.equal(originRefusal(keyed, 'https://app.example.com', 'gw.example:4000'), null);
    assert.match(originRefusal(keyed, 'http://localhost:5173', 'gw.example:4000') ?? '', /ALLOWED_ORIGINS/);
    assert.equal(originRefusal({ open: false, allowedOrigins: ['*'] }, 'https://any.example', 'gw.example'), null);
  });

  it('when an open gateway is given a foreign allowed origin, should refuse to start; a loopback one is fine', () => {
    assert.throws(() => assertSafeOrigins({ open: true, allowedOrigins: ['*'] }), /ALLOWED_ORIGINS lists \*/);
    assert.doesNotThrow(() => assertSafeOrigins({ open: true, allowedOrigins: ['http://localhost:3000'] }));
    assert.doesNotThrow(() => assertSafeOrigins(keyed));
  });
});
