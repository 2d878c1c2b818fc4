import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BrokerUrlError, parseRedisUrl, redactRedisUrl } from '../../src/broker/redis-url.js';

describe('parseRedisUrl', { timeout: 10_000 }, () => {
  test('host, port and db', () => {
    assert.deepEqual(parseRedisUrl('redis://127.0.0.1:6390'), { host: '127.0.0.1', port: 6390, db: 0 });
    assert.deepEqual(parseRedisUrl('redis://cache.internal/3'), { host: 'cache.internal', port: 6379, db: 3 });
    assert.deepEqual(parseRedisUrl('redis://[::1]:7000/0'), { host: '::1', port: 7000, db: 0 });
    assert.deepEqual(parseRedisUrl(' REDIS://h:1/ '), { host: 'h', port: 1, db: 0 });
  });

  test('credentials, percent-decoded', () => {
    assert.deepEqual(parseRedisUrl('redis://:s3cr%40t@h:6379'), { host: 'h', port: 6379, db: 0, password: 's3cr@t' });
    assert.deepEqual(parseRedisUrl('redis://ingest:pw@h:6379/1'), { host: 'h', port: 6379, db: 1, username: 'ingest', password: 'pw' });
  });

  test('rediss:// turns TLS on, checking the host name', () => {
    assert.deepEqual(parseRedisUrl('rediss://cache.example.com:6380').tls, { servername: 'cache.example.com' });
    assert.deepEqual(parseRedisUrl('rediss://10.0.0.5:6380').tls, {});
    assert.equal(parseRedisUrl('redis://h:1').tls, undefined);
  });

  const bad: [string, RegExp][] = [
    ['', /empty/],
    ['localhost:6379', /expected redis:\/\/host:port/],
    ['http://h:6379', /unsupported scheme 'http:'/],
    ['redis://h:abc', /port 'abc' is not a number/],
    ['redis://h:99999', /port 99999 is out of range/],
    ['redis://h:0', /port 0 is out of range/],
    ['redis://:6379', /no host/],
    ['redis://h:6379/x', /database 'x' is not a non-negative integer/],
    ['redis://h:6379/-1', /database '-1'/],
    ['redis://h:6379/0?timeout=1', /query parameters/],
    ['redis://justuser@h:6379', /user without a password/],
  ];
  for (const [url, message] of bad) {
    test(`rejects '${url}' with one clear line`, () => {
      assert.throws(
        () => parseRedisUrl(url),
        (err: unknown) => err instanceof BrokerUrlError && message.test(err.message) && !err.message.includes('\n'),
      );
    });
  }

  test('errors never show the password', () => {
    for (const url of ['redis://u:hunter2@h:99999', 'ftp://u:hunter2@h', 'redis://u:hunter2@h:1/db', 'redis://hunter2@h:1']) {
      assert.throws(() => parseRedisUrl(url), (err: unknown) => err instanceof BrokerUrlError && !err.message.includes('hunter2'));
    }
  });
});

describe('redactRedisUrl', { timeout: 10_000 }, () => {
  test('hides the password, keeps what helps to debug', () => {
    assert.equal(redactRedisUrl('redis://ingest:hunter2@cache:6379/2'), 'redis://ingest:***@cache:6379/2');
    assert.equal(redactRedisUrl('redis://:hunter2@cache:6379'), 'redis://:***@cache:6379');
    assert.equal(redactRedisUrl('redis://hunter2@cache'), 'redis://***@cache');
    assert.equal(redactRedisUrl('redis://cache:6379'), 'redis://cache:6379');
    assert.equal(redactRedisUrl('redis://u:pa@ss@cache:1'), 'redis://u:***@cache:1');
    assert.equal(redactRedisUrl('not a url'), 'not a url');
  });
});

describe('broker ends refuse a bad URL when built', { timeout: 10_000 }, () => {
  test('RedisPublisher and RedisStreamSource throw BrokerUrlError', async () => {
    const { RedisPublisher } = await import('../../src/broker/redis-publisher.js');
    const { RedisStreamSource } = await import('../../src/broker/redis-source.js');
    const snapshot = () => ({ epoch: 'e', offset: 0, universe: [], quotes: [], status: { state: 'up' as const } });
    assert.throws(() => new RedisPublisher({ url: 'redis://u:hunter2@h:70000', snapshot }), (err: unknown) => err instanceof BrokerUrlError && !err.message.includes('hunter2'));
    assert.throws(() => new RedisStreamSource({ url: 'http://h' }), BrokerUrlError);
  });
});
