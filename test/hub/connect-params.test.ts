import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConnectParams } from '../../src/hub/index.js';

const parse = (query: string, maxSymbols?: number) =>
  parseConnectParams(new URL('ws://localhost:8765/' + query), { intervalMs: 1000, maxSymbols });

describe('parseConnectParams', { timeout: 5_000 }, () => {
  test('no parameters: every symbol at the server default interval', () => {
    assert.deepEqual(parse(''), { symbols: ['*'], intervalMs: 1000 });
  });
  test('symbols list, trimmed and deduplicated; empty = none; "*" = all', () => {
    assert.deepEqual(parse('?symbols=AAPL,600519.SH'), { symbols: ['AAPL', '600519.SH'], intervalMs: 1000 });
    assert.deepEqual(parse('?symbols=%20AAPL%20,,AAPL,MSFT'), { symbols: ['AAPL', 'MSFT'], intervalMs: 1000 });
    assert.deepEqual(parse('?symbols='), { symbols: [], intervalMs: 1000 });
    assert.deepEqual(parse('?symbols=AAPL,*'), { symbols: ['*'], intervalMs: 1000 });
  });
  test('interval: 0 and 10..60000 accepted', () => {
    assert.deepEqual(parse('?symbols=AAPL&interval=250'), { symbols: ['AAPL'], intervalMs: 250 });
    assert.deepEqual(parse('?interval=0'), { symbols: ['*'], intervalMs: 0 });
    assert.deepEqual(parse('?interval=10'), { symbols: ['*'], intervalMs: 10 });
    assert.deepEqual(parse('?interval=60000'), { symbols: ['*'], intervalMs: 60000 });
  });
  test('invalid interval is an error string', () => {
    for (const bad of ['5', '60001', '-1', '1.5', 'abc', '', '1e3', '0x10']) {
      const result = parse('?interval=' + encodeURIComponent(bad));
      assert.ok('error' in result && typeof result.error === 'string', `interval=${bad}`);
    }
  });
  test('too many or over-long symbols are errors', () => {
    assert.ok('error' in parse('?symbols=A,B,C', 2));
    assert.deepEqual(parse('?symbols=A,B', 2), { symbols: ['A', 'B'], intervalMs: 1000 });
    assert.ok('error' in parse('?symbols=' + 'X'.repeat(33)));
  });
});
