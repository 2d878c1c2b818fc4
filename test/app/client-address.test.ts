import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TrustedProxies } from '../../src/app/client-address.js';
import { ConfigError, loadServeConfig } from '../../src/app/config.js';

describe('TrustedProxies: the client address behind reverse proxies', () => {
  const proxies = new TrustedProxies(['10.0.0.0/8', '192.0.2.10', '2001:db8::/32']);

  test('without trusted proxies X-Forwarded-For is ignored', () => {
    const none = new TrustedProxies([]);
    assert.equal(none.clientAddress('192.0.2.99', '203.0.113.1'), '192.0.2.99');
  });

  test('a peer that is not a trusted proxy is the client, whatever it claims', () => {
    assert.equal(proxies.clientAddress('198.51.100.1', '203.0.113.1'), '198.51.100.1');
  });

  test('walks X-Forwarded-For from the right, skipping trusted hops', () => {
    assert.equal(proxies.clientAddress('10.1.1.1', '203.0.113.5'), '203.0.113.5');
    assert.equal(proxies.clientAddress('10.1.1.1', 'spoofed-by-client, 203.0.113.5, 192.0.2.10'), '203.0.113.5');
    assert.equal(proxies.clientAddress('10.1.1.1', ['203.0.113.5', '10.2.2.2']), '203.0.113.5');
    assert.equal(proxies.clientAddress('10.1.1.1', '10.3.3.3, 10.2.2.2'), '10.3.3.3', 'all hops trusted: the leftmost');
  });

  test('garbage in the header is never believed: the last good hop stands', () => {
    assert.equal(proxies.clientAddress('10.1.1.1', '203.0.113.5, <script>'), '10.1.1.1');
    assert.equal(proxies.clientAddress('10.1.1.1', ''), '10.1.1.1');
  });

  test('ports, brackets and IPv4-mapped addresses are normalised', () => {
    assert.equal(proxies.clientAddress('::ffff:10.1.1.1', '203.0.113.5:4711'), '203.0.113.5');
    assert.equal(proxies.clientAddress('2001:db8::1', '[2001:db9::7]:443'), '2001:db9::7');
  });

  test('bad entries are refused with the entry named', () => {
    assert.throws(() => new TrustedProxies(['10.0.0.0/33']), /10\.0\.0\.0\/33.*prefix/);
    assert.throws(() => new TrustedProxies(['proxy.internal']), /proxy\.internal/);
  });
});

describe('serve options for the limits', () => {
  test('durations accept ms, s, m and h', () => {
    const config = loadServeConfig({ flags: { 'message-timeout': '45s', 'max-lifetime': '24h', 'idle-timeout': '1.5m', 'handshake-timeout': '2500' } });
    assert.equal(config.messageTimeout, 45_000);
    assert.equal(config.maxLifetime, 86_400_000);
    assert.equal(config.idleTimeout, 90_000);
    assert.equal(config.handshakeTimeout, 2_500);
  });

  test('defaults: limits on, generous', () => {
    const config = loadServeConfig({});
    assert.equal(config.maxConnectionsPerIp, 1000);
    assert.equal(config.handshakeRate, 200);
    assert.equal(config.messageTimeout, 30_000);
    assert.equal(config.handshakeTimeout, 10_000);
    assert.equal(config.maxLifetime, 0);
  });

  test('bad values name the flag', () => {
    assert.throws(() => loadServeConfig({ flags: { 'max-lifetime': '1 day' } }), (e: unknown) => e instanceof ConfigError && /max-lifetime.*duration/.test(e.message));
    assert.throws(() => loadServeConfig({ flags: { 'trusted-proxies': '10.0.0.1,nope' } }), (e: unknown) => e instanceof ConfigError && /trusted-proxies.*nope/.test(e.message));
    assert.throws(() => loadServeConfig({ flags: { 'handshake-timeout': '10ms' } }), ConfigError);
  });
});
