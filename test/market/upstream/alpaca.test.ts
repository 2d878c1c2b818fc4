import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AlpacaFeed, type AlpacaFeedOptions } from '../../../src/market/upstream/index.js';
import { alpacaError, parseAlpacaMessage } from '../../../src/market/upstream/alpaca-messages.js';
import { ALPACA_TEST_KEY, ALPACA_TEST_SECRET, AlpacaFake } from './fakes/alpaca-fake.js';
import { CaptureLogger, FAST_BACKOFF, lastStatus, startFeed, statusTrail } from './helpers.js';

describe('alpaca adapter against a fake Alpaca stream', () => {
  let fake: AlpacaFake;
  let feed: AlpacaFeed | undefined;
  let logger: CaptureLogger;

  beforeEach(async () => {
    fake = await AlpacaFake.start();
    logger = new CaptureLogger();
    feed = undefined;
  });
  afterEach(async () => {
    await feed?.stop();
    await fake.close();
  });

  const make = (options: Partial<AlpacaFeedOptions> = {}): AlpacaFeed =>
    (feed = new AlpacaFeed({ url: fake.upstream.url('/v2/test'), keyId: ALPACA_TEST_KEY, secretKey: ALPACA_TEST_SECRET, symbols: ['AAPL', 'MSFT'], logger, backoff: FAST_BACKOFF, ...options }));

  test('authenticates by message, subscribes trades and quotes, and merges them into quotes', async () => {
    const sink = startFeed(make());
    await sink.until((s) => lastStatus(s) === 'up', 'up after the subscription is acknowledged');
    const sent = fake.upstream.last.messages.map((m) => JSON.parse(m.text) as Record<string, unknown>);
    assert.deepEqual(sent, [
      { action: 'auth', key: ALPACA_TEST_KEY, secret: ALPACA_TEST_SECRET },
      { action: 'subscribe', trades: ['AAPL', 'MSFT'], quotes: ['AAPL', 'MSFT'] },
    ]);
    assert.equal(fake.upstream.last.url.search, '', 'no key in the URL');

    fake.quote('AAPL', 189.4, 189.6, '2024-06-03T14:30:00.100Z');
    fake.trade('AAPL', 189.55, 100, '2024-06-03T14:30:00.200Z');
    fake.trade('AAPL', 189.58, 30, '2024-06-03T14:30:00.300Z');
    fake.quote('AAPL', 189.5, 0, '2024-06-03T14:30:00.400Z'); // an empty ask side
    await sink.until((s) => s.received.length === 4, 'four quotes');
    const [q1, t1, t2, q2] = sink.received;
    assert.deepEqual([q1!.bid, q1!.ask, q1!.last, q1!.volume, q1!.ts], [189.4, 189.6, 189.5, 0, Date.parse('2024-06-03T14:30:00.100Z')], 'before a trade: the mid');
    assert.deepEqual([t1!.bid, t1!.ask, t1!.last, t1!.open, t1!.volume], [189.4, 189.6, 189.55, 189.55, 100], 'the trade opens the session; the book stays');
    assert.deepEqual([t2!.last, t2!.volume, t2!.high, t2!.seq], [189.58, 130, 189.58, 3]);
    assert.deepEqual([q2!.bid, q2!.ask, q2!.last], [189.5, 189.6, 189.58], 'a side sent as 0 is not a price');
    assert.equal(sink.symbols[0]!.currency, 'USD');
    const stats = feed!.upstreamStats();
    assert.equal(stats.quotes, 4);
    assert.ok(stats.lagMs !== undefined);
    assert.ok(!logger.text.includes(ALPACA_TEST_SECRET) && !logger.text.includes(ALPACA_TEST_KEY), 'keys never logged');
  });

  test('refused keys (402): one clear error, down, no retry before authRetryMs', async () => {
    const sink = startFeed(make({ secretKey: 'wrong', authRetryMs: 400 }));
    const started = performance.now();
    await sink.until((s) => lastStatus(s).includes('authentication failed'), 'down with the reason');
    assert.equal(lastStatus(sink), 'down: alpaca: authentication failed (402 "auth failed"): check APCA_API_KEY_ID and APCA_API_SECRET_KEY; retrying in 400 ms');
    assert.deepEqual(logger.errors(), [lastStatus(sink).slice('down: '.length)]);
    assert.equal(fake.upstream.attempts, 1);
    await fake.upstream.until(() => fake.upstream.attempts === 2, 'the slow retry', 3_000);
    assert.ok(performance.now() - started >= 390, 'waited authRetryMs, not the backoff');
    assert.ok(!logger.text.includes('wrong'), 'the secret is never logged');
    assert.ok(!statusTrail(sink).includes('up'));
  });

  test('no answer to the auth message: reconnect after the auth timeout', async () => {
    fake.authMode = 'silent';
    const sink = startFeed(make({ authTimeoutMs: 300 }));
    await fake.upstream.until(() => fake.upstream.clients.length === 2, 'a second attempt');
    assert.ok(statusTrail(sink).some((s) => s.startsWith('down: alpaca: not authenticated within 300 ms of connecting; reconnecting')), statusTrail(sink).join(' | '));
    fake.authMode = 'check';
    await sink.until((s) => lastStatus(s) === 'up', 'up once the server answers');
  });

  test('plan limits are clear one-line reasons: 406 (connection limit) and 405 (symbol limit)', async () => {
    fake.oneConnection = true;
    const other = new AlpacaFeed({ url: fake.upstream.url('/v2/iex'), keyId: ALPACA_TEST_KEY, secretKey: ALPACA_TEST_SECRET, symbols: ['AAPL'], backoff: FAST_BACKOFF });
    const otherSink = startFeed(other);
    await otherSink.until((s) => lastStatus(s) === 'up', 'the first connection up');
    const sink = startFeed(make({ authRetryMs: 600_000 }));
    await sink.until((s) => lastStatus(s).includes('connection limit exceeded'), '406');
    assert.match(lastStatus(sink), /^down: alpaca: connection limit exceeded \(406 "connection limit exceeded"\): another connection with these keys is open .*; retrying in 10 min$/);
    await other.stop();

    fake.oneConnection = false;
    fake.symbolLimit = 1;
    const limited = new AlpacaFeed({ url: fake.upstream.url('/v2/iex'), keyId: ALPACA_TEST_KEY, secretKey: ALPACA_TEST_SECRET, symbols: ['AAPL', 'MSFT'], authRetryMs: 600_000, backoff: FAST_BACKOFF });
    const limitedSink = startFeed(limited);
    await limitedSink.until((s) => lastStatus(s).includes('symbol limit exceeded'), '405');
    assert.match(lastStatus(limitedSink), /symbol limit exceeded \(405 .*\): your plan allows fewer symbols .*--feed-symbols; retrying in 10 min$/);
    await limited.stop();
  });

  test('malformed messages are counted and skipped', async () => {
    const sink = startFeed(make());
    await sink.until((s) => lastStatus(s) === 'up', 'up');
    fake.raw('{"T":"t"}'); // not an array
    fake.raw('[{"S":"AAPL"}, 7, {"T":"t","S":"AAPL","p":1}]'); // no T, not an object, a trade without t
    fake.raw('[{"T":"q","S":"AAPL","bp":10,"ap":9,"t":"2024-06-03T14:30:00Z"}]'); // a crossed book: refused by the normaliser
    fake.raw('[{"T":"b","S":"AAPL"}]'); // a bar: not used, not an error
    fake.trade('AAPL', 100, 1);
    await sink.until((s) => s.received.length === 1, 'the good trade');
    assert.equal(feed!.upstreamStats().parseErrors, 5);
    assert.equal(lastStatus(sink), 'up');
  });

  test('the upstream drops the connection: reconnect, authenticate and subscribe again', async () => {
    const sink = startFeed(make());
    await sink.until((s) => lastStatus(s) === 'up', 'up');
    fake.trade('AAPL', 100, 1);
    await sink.until((s) => s.received.length === 1, 'a quote');
    fake.upstream.cut();
    await fake.upstream.until(() => fake.upstream.clients.length === 2 && fake.subscribedTrades().size === 2, 'subscribed again');
    await sink.until((s) => lastStatus(s) === 'up', 'up again');
    fake.trade('AAPL', 101, 1);
    await sink.until((s) => s.received.length === 2, 'a quote after the reconnect');
    assert.deepEqual(sink.received.map((q) => q.seq), [1, 2]);
    assert.equal(feed!.upstreamStats().reconnects, 1);
  });
});

describe('alpaca messages', () => {
  test('every documented error code maps to a clear action', () => {
    assert.equal(alpacaError(402, 'auth failed').action, 'fatal');
    assert.equal(alpacaError(405, 'symbol limit exceeded').action, 'fatal');
    assert.equal(alpacaError(406, 'connection limit exceeded').action, 'fatal');
    assert.equal(alpacaError(409, 'insufficient subscription').action, 'fatal');
    assert.equal(alpacaError(407, 'slow client').action, 'reconnect');
    assert.equal(alpacaError(404, 'auth timeout').action, 'reconnect');
    assert.equal(alpacaError(500, 'internal error').action, 'reconnect');
    assert.equal(alpacaError(400, 'invalid syntax').action, 'log');
    assert.match(alpacaError(407, 'slow client').text, /slow client/);
  });

  test('control messages and data arrive in arrays', () => {
    assert.deepEqual(parseAlpacaMessage('[{"T":"success","msg":"connected"}]'), [{ kind: 'connected' }]);
    assert.deepEqual(parseAlpacaMessage('[{"T":"subscription","trades":["AAPL"],"quotes":[]}]'), [{ kind: 'subscription', trades: ['AAPL'], quotes: [] }]);
    assert.deepEqual(parseAlpacaMessage('[{"T":"error","code":402,"msg":"auth failed"}]'), [{ kind: 'error', code: 402, message: 'auth failed' }]);
  });
});
