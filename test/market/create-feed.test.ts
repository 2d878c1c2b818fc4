import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MarketSimulator, createFeed, type FeedSpec } from '../../src/market/index.js';

describe('createFeed', () => {
  test('builds a simulator from its spec, passing every option through', () => {
    const feed = createFeed({ kind: 'simulator', seed: 'abc', symbols: ['AAPL', '600519.SH'], ticksPerSecond: 50, tickIntervalMs: 20 });
    assert.ok(feed instanceof MarketSimulator, 'a MarketSimulator');
    assert.equal(feed.name, 'simulator');
    assert.deepEqual(
      feed.universe().map((s) => s.symbol),
      ['AAPL', '600519.SH'],
    );
    assert.equal(feed.ticksPerSecond, 50);
    assert.equal(feed.tickIntervalMs, 20);
    const twin = createFeed({ kind: 'simulator', seed: 'abc', symbols: ['AAPL', '600519.SH'] }) as MarketSimulator;
    assert.equal(twin.seed, feed.seed);
    assert.deepEqual(
      twin.snapshot().map((q) => q.last),
      feed.snapshot().map((q) => q.last),
    );
  });

  test('defaults to the default universe at 200 ticks/s', () => {
    const feed = createFeed({ kind: 'simulator' }) as MarketSimulator;
    assert.ok(feed.universe().length >= 30, `${feed.universe().length} symbols`);
    assert.equal(feed.ticksPerSecond, 200);
    assert.equal(feed.tickIntervalMs, 50);
  });

  test('a replay spec needs a readable file; an unknown kind is refused', () => {
    assert.throws(() => createFeed({ kind: 'replay', file: '/nonexistent/quotes.ndjson' }), /ENOENT/);
    assert.throws(() => createFeed({ kind: 'upstream' } as unknown as FeedSpec), /unknown feed kind "upstream"/);
  });
});
