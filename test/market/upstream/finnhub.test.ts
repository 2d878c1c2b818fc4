import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FinnhubFeed, type FinnhubFeedOptions } from '../../../src/market/upstream/index.js';
import { FINNHUB_TEST_TOKEN, FinnhubFake } from './fakes/finnhub-fake.js';
import { CaptureLogger, FAST_BACKOFF, lastStatus, startFeed, statusTrail } from './helpers.js';

describe('finnhub adapter against a fake Finnhub', () => {
  let fake: FinnhubFake;
  let feed: FinnhubFeed | undefined;
  let logger: CaptureLogger;

  beforeEach(async () => {
    fake = await FinnhubFake.start();
    logger = new CaptureLogger();
    feed = undefined;
  });
  afterEach(async () => {
    await feed?.stop();
    await fake.close();
  });

  const make = (options: Partial<FinnhubFeedOptions> = {}): FinnhubFeed =>
    (feed = new FinnhubFeed({ url: fake.upstream.url('/'), token: FINNHUB_TEST_TOKEN, symbols: ['AAPL', 'BINANCE:BTCUSDT'], logger, backoff: FAST_BACKOFF, ...options }));

  test('subscribes with one message per symbol; trades arrive as normalised quotes', async () => {
    const sink = startFeed(make());
    assert.deepEqual(sink.symbols.map((s) => [s.symbol, s.exchange, s.prevClose]), [['AAPL', '', 0], ['BINANCE:BTCUSDT', 'BINANCE', 0]], 'announced before any data, so clients can subscribe');
    assert.equal(lastStatus(sink), `down: connecting to 127.0.0.1:${fake.upstream.port}`);
    await fake.upstream.until(() => fake.subscribed().size === 2, 'both subscriptions');
    assert.deepEqual(fake.upstream.last.messages.map((m) => JSON.parse(m.text) as unknown), [
      { type: 'subscribe', symbol: 'AAPL' },
      { type: 'subscribe', symbol: 'BINANCE:BTCUSDT' },
    ]);
    assert.equal(fake.upstream.last.url.searchParams.get('token'), FINNHUB_TEST_TOKEN, 'the key travels as ?token=');
    await sink.until((s) => lastStatus(s) === 'up', 'up');

    const t0 = Date.now() - 50;
    fake.trades([{ s: 'AAPL', p: 189.5, v: 100, t: t0 }, { s: 'AAPL', p: 189.62, v: 50, t: t0 + 1 }]);
    fake.ping();
    fake.trades([{ s: 'BINANCE:BTCUSDT', p: 67000.12, v: 0.1, t: t0 }, { s: 'BINANCE:BTCUSDT', p: 66990.5, v: 0.2, t: t0 + 2 }]);
    await sink.until((s) => s.received.length === 4, 'four quotes');
    const [a1, a2, b1, b2] = sink.received;
    assert.deepEqual(a1, { symbol: 'AAPL', last: 189.5, bid: 189.5, ask: 189.5, open: 189.5, high: 189.5, low: 189.5, prevClose: 189.5, change: 0, changePct: 0, volume: 100, ts: t0, seq: 1 });
    assert.deepEqual(
      { last: a2!.last, bid: a2!.bid, ask: a2!.ask, high: a2!.high, change: a2!.change, changePct: a2!.changePct, volume: a2!.volume, seq: a2!.seq },
      { last: 189.62, bid: 189.62, ask: 189.62, high: 189.62, change: 0.12, changePct: 0.06, volume: 150, seq: 2 },
    );
    assert.equal(b1!.prevClose, 67000.12);
    assert.equal(b2!.volume, 0.3, 'crypto quantities summed without float noise');
    assert.equal(b2!.low, 66990.5);
    assert.deepEqual(sink.symbols.slice(2).map((s) => [s.symbol, s.prevClose]), [['AAPL', 189.5], ['BINANCE:BTCUSDT', 67000.12]], 're-described with the first price once known');

    const stats = feed!.upstreamStats();
    assert.equal(stats.messages, 3, 'two trade messages and a ping');
    assert.equal(stats.quotes, 4);
    assert.equal(stats.parseErrors, 0);
    assert.equal(stats.subscribedSymbols, 2);
    assert.ok(stats.lagMs !== undefined && stats.lagMs >= 40, `lag from the trade timestamps: ${stats.lagMs}`);
    assert.ok(!logger.text.includes(FINNHUB_TEST_TOKEN), 'the key is never logged');
    assert.match(logger.text, /token=\*\*\*/);
  });

  test('malformed messages are counted and skipped; the stream carries on', async () => {
    const sink = startFeed(make());
    await fake.upstream.until(() => fake.subscribed().size === 2, 'subscriptions');
    fake.raw('not json');
    fake.raw('{"type":"trade","data":"nope"}');
    fake.raw('{"type":"trade","data":[{"s":"AAPL","p":"189.5","t":1}, {"s":"AAPL","p":190,"t":2,"v":1}]}');
    fake.raw('{"no":"type"}');
    fake.raw('{"type":"trade","data":[{"s":"AAPL","p":-3,"t":3,"v":1}]}');
    fake.raw('{"type":"news","data":[]}');
    fake.trades([{ s: 'AAPL', p: 191, v: 1 }]);
    await sink.until((s) => s.received.length === 2, 'the two good trades');
    assert.deepEqual(sink.received.map((q) => q.last), [190, 191]);
    assert.equal(feed!.upstreamStats().parseErrors, 5, 'bad JSON, bad data, a bad entry, no type, a refused price');
    assert.equal(logger.lines.filter((l) => l.msg.includes('malformed')).length, 1, 'logged once, not once per message');
    assert.equal(lastStatus(sink), 'up');
  });

  test('the upstream drops the connection: reconnect, resubscribe, quotes continue', async () => {
    const sink = startFeed(make());
    await fake.upstream.until(() => fake.subscribed().size === 2, 'subscriptions');
    fake.trades([{ s: 'AAPL', p: 100, v: 1 }]);
    await sink.until((s) => s.received.length === 1, 'a quote');
    fake.upstream.cut();
    await sink.until((s) => lastStatus(s).startsWith('down: finnhub: connection closed'), 'down');
    await fake.upstream.until(() => fake.upstream.clients.length === 2 && fake.subscribed().size === 2, 'a second connection, resubscribed');
    await sink.until((s) => lastStatus(s) === 'up', 'up again');
    fake.trades([{ s: 'AAPL', p: 101, v: 2 }]);
    await sink.until((s) => s.received.length === 2, 'a quote after the reconnect');
    assert.deepEqual(sink.received.map((q) => [q.seq, q.volume]), [[1, 1], [2, 3]]);
    assert.equal(feed!.upstreamStats().reconnects, 1);
  });

  test('the upstream stalls: stale, then reconnect and resubscribe', async () => {
    const sink = startFeed(make({ staleAfterMs: 200 }));
    await sink.until((s) => lastStatus(s) === 'up', 'up');
    await fake.upstream.until(() => fake.subscribed().size === 2, 'subscriptions');
    fake.upstream.stalled = true; // no data, no pong to our probe
    await sink.until((s) => lastStatus(s).startsWith('stale: no message from'), 'stale', 3_000);
    await fake.upstream.until(() => fake.upstream.clients.length === 2, 'a reconnection', 3_000);
    fake.upstream.stalled = false;
    await fake.upstream.until(() => fake.subscribed().size === 2, 'resubscribed');
    fake.trades([{ s: 'AAPL', p: 100, v: 1 }]);
    await sink.until((s) => s.received.length === 1 && lastStatus(s) === 'up', 'data and up');
    assert.ok(statusTrail(sink).some((s) => s.startsWith('down: finnhub: no message for')), statusTrail(sink).join(' | '));
    assert.ok(fake.upstream.clients[0]!.frames.some((f) => f.kind === 'ping'), 'a liveness ping was tried before giving up');
  });

  test('a quiet but alive upstream stays up: our ping is answered', async () => {
    const sink = startFeed(make({ staleAfterMs: 500 }));
    await sink.until((s) => lastStatus(s) === 'up', 'up');
    await fake.upstream.until(() => fake.upstream.last.frames.filter((f) => f.kind === 'ping').length >= 3, 'three probes answered', 3_000);
    assert.deepEqual(statusTrail(sink).slice(1), ['up']);
    assert.equal(fake.upstream.clients.length, 1);
  });

  test('a refused key: one clear error, down, and the next attempt only after authRetryMs', async () => {
    const sink = startFeed(make({ token: 'wrong-token', authRetryMs: 400 }));
    const started = performance.now();
    await sink.until((s) => lastStatus(s).includes('refused the API key'), 'down with the reason');
    assert.match(lastStatus(sink), /^down: finnhub: 127\.0\.0\.1:\d+ refused the API key \(HTTP 401\): check FINNHUB_TOKEN; retrying in 400 ms$/);
    assert.equal(fake.upstream.attempts, 1);
    assert.deepEqual(logger.errors(), [lastStatus(sink).slice('down: '.length)], 'one error line, the same text as the status');
    await fake.upstream.until(() => fake.upstream.attempts === 2, 'the slow retry', 3_000);
    const elapsed = performance.now() - started;
    assert.ok(elapsed >= 390, `the retry waited authRetryMs, not the 20 ms backoff: ${elapsed.toFixed(0)} ms`);
    assert.equal(fake.upstream.clients.length, 0);
    assert.ok(!logger.text.includes('wrong-token'), 'the key is never logged');
  });

  test('an error message about the key closes the connection and waits authRetryMs too', async () => {
    const sink = startFeed(make({ authRetryMs: 600_000 }));
    await fake.upstream.until(() => fake.subscribed().size === 2, 'subscriptions');
    fake.raw('{"type":"error","msg":"Invalid API key"}');
    await sink.until((s) => lastStatus(s).includes('check FINNHUB_TOKEN'), 'down');
    assert.match(lastStatus(sink), /refused the API key \("Invalid API key"\): check FINNHUB_TOKEN; retrying in 10 min$/);
    await fake.upstream.until(() => fake.upstream.open.length === 0, 'the connection closed');
    assert.equal(fake.upstream.attempts, 1);
    assert.equal(logger.errors().length, 1);
  });

  test('stop() ends everything: no status or quote after it resolves', async () => {
    const sink = startFeed(make());
    await fake.upstream.until(() => fake.subscribed().size === 2, 'subscriptions');
    await feed!.stop();
    const seen = sink.events.length;
    fake.trades([{ s: 'AAPL', p: 100, v: 1 }]);
    await fake.upstream.until(() => fake.upstream.open.length === 0, 'the connection closed');
    assert.equal(sink.events.length, seen);
  });
});
