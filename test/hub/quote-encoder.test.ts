import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { QuoteEncoder } from '../../src/hub/index.js';
import { makeQuote } from './fakes.js';

describe('QuoteEncoder', { timeout: 5_000 }, () => {
  test('encodes a quote exactly as JSON.stringify does', () => {
    const encoder = new QuoteEncoder();
    const samples = [
      makeQuote('AAPL', 189.23, 42, 1732400000123),
      makeQuote('600519.SH', 1688.88, 1, 1732400000000),
      { ...makeQuote('A"B\\C', 0.01, 9, 0), change: -0, volume: 1e21 },
    ];
    for (const q of samples) assert.equal(encoder.quote(q), JSON.stringify(q));
  });
  test('non-finite numbers become null, as in JSON', () => {
    const q = { ...makeQuote('AAPL', 1, 1, 1), changePct: NaN, high: Infinity };
    assert.deepEqual(JSON.parse(new QuoteEncoder().quote(q)), JSON.parse(JSON.stringify(q)));
  });
  test('a replaced quote of the same symbol is re-encoded, not served from the cache', () => {
    const encoder = new QuoteEncoder();
    const a = makeQuote('AAPL', 100, 1, 1);
    const b = makeQuote('AAPL', 101, 2, 2);
    assert.equal(encoder.quote(a), JSON.stringify(a));
    assert.equal(encoder.quote(b), JSON.stringify(b));
    assert.equal(encoder.quote(a), JSON.stringify(a));
  });
  test('messages', () => {
    const encoder = new QuoteEncoder();
    const q = makeQuote('AAPL', 100, 1, 1);
    assert.deepEqual(JSON.parse(encoder.quotesMessage([q, q], 12)), { type: 'quotes', quotes: [q, q], offset: 12 });
    assert.deepEqual(JSON.parse(encoder.snapshotMessage(7, [q], 12)), { type: 'snapshot', id: 7, quotes: [q], offset: 12 });
    assert.deepEqual(JSON.parse(encoder.snapshotMessage(undefined, [], 0, false)), { type: 'snapshot', quotes: [], offset: 0, recovered: false });
    assert.deepEqual(JSON.parse(encoder.snapshotMessage(undefined, [q], 3, true)), { type: 'snapshot', quotes: [q], offset: 3, recovered: true });
  });
});
