import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AddressLimits, addressKey } from '../../src/transport/address-limits.js';

describe('AddressLimits', () => {
  test('caps open connections per address and frees a slot on close', () => {
    const limits = new AddressLimits({ maxConnections: 2, handshakeRatePerSec: 0, handshakeBurst: 1 });
    for (let i = 0; i < 2; i++) {
      assert.deepEqual(limits.admit('10.0.0.1', 0), { ok: true });
      limits.opened('10.0.0.1');
    }
    const refused = limits.admit('10.0.0.1', 0);
    assert.equal(refused.ok, false);
    assert.ok(!refused.ok && refused.status === 429 && refused.retryAfterSec === 5 && /at most 2/.test(refused.message));
    assert.deepEqual(limits.admit('10.0.0.2', 0), { ok: true }, 'other addresses are unaffected');
    limits.closed('10.0.0.1');
    assert.deepEqual(limits.admit('10.0.0.1', 0), { ok: true });
  });

  test('handshake token bucket: burst, then the rate, with a Retry-After of the refill time', () => {
    const limits = new AddressLimits({ maxConnections: 0, handshakeRatePerSec: 2, handshakeBurst: 3 });
    for (let i = 0; i < 3; i++) assert.equal(limits.admit('10.0.0.1', 1000).ok, true);
    const refused = limits.admit('10.0.0.1', 1000);
    assert.ok(!refused.ok && refused.retryAfterSec === 1);
    assert.equal(limits.admit('10.0.0.1', 1499).ok, false, 'not yet a whole token');
    assert.equal(limits.admit('10.0.0.1', 1500).ok, true, 'one token after 500 ms at 2/s');
  });

  test('slow refill gives a longer Retry-After', () => {
    const limits = new AddressLimits({ maxConnections: 0, handshakeRatePerSec: 0.1, handshakeBurst: 1 });
    assert.equal(limits.admit('h', 0).ok, true);
    const refused = limits.admit('h', 0);
    assert.ok(!refused.ok && refused.retryAfterSec === 10);
  });

  test('forgets idle addresses whose bucket is full again (bounded memory under address rotation)', () => {
    const limits = new AddressLimits({ maxConnections: 10, handshakeRatePerSec: 100, handshakeBurst: 10 });
    for (let i = 0; i < 5000; i++) limits.admit(`10.0.${i >> 8}.${i & 255}`, 0);
    assert.equal(limits.size, 5000);
    limits.opened('192.0.2.1');
    limits.prune(10_000);
    assert.equal(limits.size, 1, 'only the address holding a connection is kept');
    assert.equal(limits.openFrom('192.0.2.1'), 1);
  });

  test('no limits: admits everything and remembers nothing', () => {
    const limits = new AddressLimits({ maxConnections: 0, handshakeRatePerSec: 0, handshakeBurst: 1 });
    for (let i = 0; i < 100; i++) assert.equal(limits.admit(`10.0.0.${i}`, 0).ok, true);
    assert.equal(limits.size, 0);
  });
});

describe('addressKey', () => {
  test('IPv4 as is, IPv4-mapped IPv6 unwrapped, IPv6 grouped by /64', () => {
    assert.equal(addressKey('192.0.2.1'), '192.0.2.1');
    assert.equal(addressKey('::ffff:192.0.2.1'), '192.0.2.1');
    assert.equal(addressKey('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
    assert.equal(addressKey('2001:0db8:0001:0002:ffff:ffff:ffff:ffff'), '2001:db8:1:2::/64');
    assert.equal(addressKey('::1'), '0:0:0:0::/64');
    assert.equal(addressKey('fe80::1%eth0'), 'fe80:0:0:0::/64');
    assert.equal(addressKey('not-an-address'), 'not-an-address');
  });
});
