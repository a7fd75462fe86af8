import assert from 'node:assert/strict';
import { checkAddress, parseAllowList } from './address-policy.ts';

describe('address policy', () => {
  describe('when no allow-list is given', () => {
    const refused: readonly (readonly [string, string])[] = [
      ['127.0.0.1', 'loopback'],
      ['127.8.9.10', 'loopback'],
      ['::1', 'loopback'],
      ['[::1]', 'loopback'],
      ['10.0.0.1', 'private (RFC 1918)'],
      ['172.16.5.4', 'private (RFC 1918)'],
      ['192.168.1.1', 'private (RFC 1918)'],
      ['fc00::1', 'unique-local (fc00::/7)'],
      ['fd12:3456::1', 'unique-local (fc00::/7)'],
      ['169.254.1.1', 'link-local (169.254.0.0/16)'],
      ['fe80::1', 'link-local (fe80::/10)'],
      ['169.254.169.254', 'a cloud metadata endpoint'],
      ['fd00:ec2::254', 'a cloud metadata endpoint'],
      ['0.0.0.0', 'unspecified'],
      ['::', 'unspecified'],
      ['255.255.255.255', 'broadcast'],
      ['224.0.0.1', 'multicast'],
      ['ff02::1', 'multicast'],
      ['100.64.0.1', 'carrier-grade NAT (100.64.0.0/10)'],
      ['240.0.0.1', 'reserved'],
      ['192.0.2.1', 'reserved'],
      ['2001:db8::1', 'reserved'],
      ['::ffff:127.0.0.1', 'IPv4-mapped 127.0.0.1, which is loopback'],
      ['::ffff:10.1.2.3', 'IPv4-mapped 10.1.2.3, which is private (RFC 1918)'],
      ['::ffff:169.254.169.254', 'a cloud metadata endpoint'],
      ['64:ff9b::a00:1', 'NAT64 10.0.0.1, which is private (RFC 1918)'],
      ['64:ff9b:1::1', 'local-use NAT64'],
      ['2002:7f00:1::1', '6to4 127.0.0.1, which is loopback'],
      ['::a00:1', 'reserved (::/8)'],
    ];
    for (const [address, why] of refused) {
      it(`should refuse ${address} as ${why}`, () => {
        const decision = checkAddress(address);
        assert.equal(decision.allowed, false);
        assert.ok(!decision.allowed && decision.reason.includes(why), JSON.stringify(decision));
      });
    }

    it('should word the reason as "address <ip> is <why>"', () => {
      assert.deepEqual(checkAddress('10.0.0.1'), {
        allowed: false,
        reason: 'address 10.0.0.1 is private (RFC 1918)',
      });
    });

    for (const address of ['93.184.215.14', '8.8.8.8', '2606:4700:4700::1111', '::ffff:93.184.215.14', '64:ff9b::808:808']) {
      it(`should allow the public address ${address}`, () => {
        assert.deepEqual(checkAddress(address), { allowed: true });
      });
    }

    it('should refuse text that is not an IP address', () => {
      const decision = checkAddress('example.com');
      assert.equal(decision.allowed, false);
      assert.match(!decision.allowed ? decision.reason : '', /not an IP address/);
    });
  });

  describe('when an allow-list is given', () => {
    it('should permit an address inside an allowed CIDR and nothing outside it', () => {
      const allowList = ['127.0.0.1/32', '10.0.0.0/8'];
      assert.deepEqual(checkAddress('127.0.0.1', { allowList }), { allowed: true });
      assert.deepEqual(checkAddress('10.200.0.1', { allowList }), { allowed: true });
      assert.equal(checkAddress('127.0.0.2', { allowList }).allowed, false);
      assert.equal(checkAddress('192.168.0.1', { allowList }).allowed, false);
    });

    it('should permit an exact IPv6 entry, bracketed or not', () => {
      assert.deepEqual(checkAddress('::1', { allowList: ['::1'] }), { allowed: true });
      assert.deepEqual(checkAddress('::1', { allowList: ['[::1]'] }), { allowed: true });
    });

    it('should let an IPv4 entry cover the IPv4-mapped form of that address', () => {
      assert.deepEqual(checkAddress('::ffff:127.0.0.1', { allowList: ['127.0.0.1'] }), { allowed: true });
    });

    it('should permit a refused address resolved from an allowed host name, case-insensitively', () => {
      const allowList = parseAllowList(['LocalHost']);
      assert.deepEqual(checkAddress('127.0.0.1', { allowList, hostname: 'localhost' }), { allowed: true });
      assert.deepEqual(checkAddress('::1', { allowList, hostname: 'localhost.' }), { allowed: true });
      assert.equal(checkAddress('127.0.0.1', { allowList, hostname: 'other.test' }).allowed, false);
      assert.equal(checkAddress('127.0.0.1', { allowList }).allowed, false);
    });

    it('should not let a host-name entry unlock a cloud metadata endpoint', () => {
      const allowList = ['metadata.internal'];
      for (const address of ['169.254.169.254', '::ffff:169.254.169.254', 'fd00:ec2::254']) {
        assert.equal(checkAddress(address, { allowList, hostname: 'metadata.internal' }).allowed, false, address);
      }
      assert.deepEqual(checkAddress('169.254.169.254', { allowList: ['169.254.169.254/32'] }), { allowed: true });
    });

    it('should reject a malformed entry, naming it', () => {
      assert.throws(() => parseAllowList(['10.0.0.0/33']), /"10\.0\.0\.0\/33"/);
      assert.throws(() => parseAllowList(['127.1']), /"127\.1"/);
    });
  });
});
