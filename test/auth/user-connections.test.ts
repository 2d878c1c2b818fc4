import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { UserConnections } from '../../src/auth/index.js';

describe('UserConnections', { timeout: 10_000 }, () => {
  test('a user gets at most the limit; others are counted apart', () => {
    const c = new UserConnections(2);
    assert.ok(c.acquire('alice'));
    assert.ok(c.acquire('alice'));
    assert.equal(c.acquire('alice'), false, 'third connection refused');
    assert.equal(c.count('alice'), 2, 'a refused acquire counts nothing');
    assert.ok(c.acquire('bob'));
    assert.equal(c.users, 2);
    c.release('alice');
    assert.ok(c.acquire('alice'), 'a released slot can be taken again');
  });

  test('users are forgotten at zero; stray releases never go negative', () => {
    const c = new UserConnections(1);
    assert.ok(c.acquire('alice'));
    c.release('alice');
    assert.equal(c.count('alice'), 0);
    assert.equal(c.users, 0);
    c.release('alice');
    c.release('nobody');
    assert.equal(c.users, 0);
    assert.ok(c.acquire('alice'));
    assert.equal(c.acquire('alice'), false, 'the double release did not hand out an extra slot');
  });

  test('0 = unlimited, and memory follows the users connected now', () => {
    const c = new UserConnections(0);
    for (let i = 0; i < 1000; i++) assert.ok(c.acquire('alice'));
    assert.equal(c.count('alice'), 1000);
    for (let u = 0; u < 10_000; u++) c.acquire(`user-${u}`);
    assert.equal(c.users, 10_001);
    for (let u = 0; u < 10_000; u++) c.release(`user-${u}`);
    for (let i = 0; i < 1000; i++) c.release('alice');
    assert.equal(c.users, 0);
  });

  test('a bad limit is refused', () => {
    assert.throws(() => new UserConnections(-1), RangeError);
    assert.throws(() => new UserConnections(1.5), RangeError);
    assert.throws(() => new UserConnections(Number.NaN), RangeError);
  });
});
