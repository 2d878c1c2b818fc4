import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadServeConfig } from '../../../src/app/config.js';
import { silentLogger } from '../../../src/app/logger.js';
import { buildFeed } from '../../../src/app/serve-command.js';
import { FeedSpecError, createFeed, feedKinds, type FeedContext, type FeedSettings } from '../../../src/market/index.js';
import { AlpacaFeed, BinanceFeed, FinnhubFeed, alpacaKind, binanceKind, finnhubKind } from '../../../src/market/upstream/index.js';

const SILENT = { info() {}, warn() {}, error() {} };

function context(arg: string, settings: FeedSettings = {}): FeedContext {
  return { arg, settings, cwd: process.cwd(), logger: SILENT };
}

/** A FeedSpecError with a one-line message matching `pattern`. */
function specError(pattern: RegExp): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof FeedSpecError, `a FeedSpecError, got ${String(error)}`);
    assert.match(error.message, pattern);
    assert.ok(!error.message.includes('\n'));
    return true;
  };
}

describe('the upstream feed kinds', () => {
  test('are registered', () => {
    for (const kind of ['finnhub', 'alpaca', 'binance']) assert.ok(feedKinds().includes(kind), kind);
  });

  test('keys come from the environment, and their absence is a clear usage error', () => {
    const symbols = { feedSymbols: ['AAPL'] };
    assert.throws(() => finnhubKind(context('', symbols), {}), specError(/^an API key is needed in the environment: FINNHUB_TOKEN/));
    assert.throws(() => alpacaKind(context('', symbols), { APCA_API_KEY_ID: 'k' }), specError(/APCA_API_KEY_ID and APCA_API_SECRET_KEY/));
    assert.ok(finnhubKind(context('', symbols), { FINNHUB_TOKEN: 't' }) instanceof FinnhubFeed);
    assert.ok(alpacaKind(context('sip', symbols), { APCA_API_KEY_ID: 'k', APCA_API_SECRET_KEY: 's' }) instanceof AlpacaFeed);
  });

  test('finnhub and alpaca need --feed-symbols; bad arguments are refused', () => {
    assert.throws(() => finnhubKind(context(''), { FINNHUB_TOKEN: 't' }), specError(/^no symbols to subscribe to: give them with --feed-symbols/));
    assert.throws(() => finnhubKind(context('x', { feedSymbols: ['AAPL'] }), { FINNHUB_TOKEN: 't' }), specError(/^takes no argument/));
    assert.throws(() => alpacaKind(context('crypto', { feedSymbols: ['AAPL'] }), { APCA_API_KEY_ID: 'k', APCA_API_SECRET_KEY: 's' }), specError(/the data feed must be one of iex, sip, delayed_sip, test/));
  });

  test('binance: --feed-symbols is static mode, binance:LIST the always-on list of interest-driven mode', () => {
    const interest = binanceKind(context('BTCUSDT,ethusdt'));
    assert.ok(interest instanceof BinanceFeed);
    assert.equal(interest.mode, 'interest');
    assert.equal(binanceKind(context('', { feedSymbols: ['BTCUSDT'] })).mode, 'static');
    assert.throws(() => binanceKind(context('BTCUSDT', { feedSymbols: ['ETHUSDT'] })), specError(/^an always-on list \(binance:LIST\) is for interest-driven mode/));
    assert.throws(() => binanceKind(context('', { feedSymbols: ['BTC-USD'] })), specError(/^not a Binance symbol: BTC-USD/));
  });

  test('--feed-url must be ws(s):// and must not carry a key', async () => {
    await assert.rejects(createFeed('binance', { settings: { feedUrl: 'http://127.0.0.1:1/stream' } }), specError(/--feed-url: use ws:\/\/ or wss:\/\//));
    await assert.rejects(createFeed('binance', { settings: { feedUrl: 'ws://127.0.0.1:1/?token=hunter2' } }), (error: unknown) => {
      specError(/must not carry credentials/)(error);
      assert.ok(!(error as Error).message.includes('hunter2'));
      return true;
    });
  });
});

describe('CLI options --feed-url, --feed-symbols, --feed-stale-after', () => {
  test('parse from flags and environment and reach the feed', async () => {
    const config = loadServeConfig({
      flags: { feed: 'binance', 'feed-url': 'ws://127.0.0.1:9/stream', 'feed-stale-after': '5s' },
      env: { TICKSTREAM_FEED_SYMBOLS: 'btcusdt, ETHUSDT' },
    });
    assert.equal(config.feedUrl, 'ws://127.0.0.1:9/stream');
    assert.deepEqual(config.feedSymbols, ['btcusdt', 'ETHUSDT']);
    assert.equal(config.feedStaleAfter, 5_000);
    assert.equal(loadServeConfig({}).feedStaleAfter, 30_000);
    const feed = await buildFeed(config, silentLogger());
    assert.ok(feed instanceof BinanceFeed);
    assert.equal(feed.mode, 'static');
  });

  test('refuse a URL that is not ws(s)://, or that carries a key, without echoing it', () => {
    const refuses = (value: string, pattern: RegExp): void =>
      assert.throws(
        () => loadServeConfig({ flags: { 'feed-url': value } }),
        (error: unknown) => error instanceof ConfigError && pattern.test(error.message) && !error.message.includes('hunter2'),
      );
    refuses('https://stream.binance.com/stream', /^--feed-url: expected a ws:\/\/ or wss:\/\/ URL, got https:/);
    refuses('wss://ws.finnhub.io/?token=hunter2', /^--feed-url: must not carry credentials; keys come from the environment/);
    refuses('wss://me:hunter2@example.test/', /must not carry credentials/);
    assert.throws(() => loadServeConfig({ flags: { 'feed-stale-after': '10' } }), /out of range 100/);
  });

  test('finnhub without FINNHUB_TOKEN is a usage error naming --feed', async () => {
    const saved = process.env['FINNHUB_TOKEN'];
    delete process.env['FINNHUB_TOKEN'];
    try {
      await assert.rejects(buildFeed(loadServeConfig({ flags: { feed: 'finnhub', 'feed-symbols': 'AAPL' } }), silentLogger()), (error: unknown) => error instanceof ConfigError && /^--feed: finnhub: an API key is needed in the environment: FINNHUB_TOKEN/.test(error.message));
    } finally {
      if (saved !== undefined) process.env['FINNHUB_TOKEN'] = saved;
    }
  });
});
