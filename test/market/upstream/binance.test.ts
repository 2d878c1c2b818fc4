import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BinanceFeed, type BinanceFeedOptions } from '../../../src/market/upstream/index.js';
import { describeBinanceSymbol, parseBinanceMessage } from '../../../src/market/upstream/binance-messages.js';
import { BinanceFake } from './fakes/binance-fake.js';
import { FakeUpstream } from './fakes/fake-upstream.js';
import { CaptureLogger, FAST_BACKOFF, lastStatus, startFeed, statusTrail } from './helpers.js';

const LISTED = [
  { symbol: 'BTCUSDT', open: '66000.00000000', close: '67000.00000000' },
  { symbol: 'ETHUSDT', open: '3500.00000000', close: '3550.00000000' },
  { symbol: 'BNBUSDT', open: '600.00000000', close: '590.00000000' },
  { symbol: 'ETHBTC', open: '0.05200000', close: '0.05300000' },
];

describe('binance adapter against a fake Binance', () => {
  let fake: BinanceFake;
  let feed: BinanceFeed | undefined;
  let logger: CaptureLogger;

  beforeEach(async () => {
    fake = await BinanceFake.start({ tickerEveryMs: 30 });
    fake.listed = LISTED;
    logger = new CaptureLogger();
    feed = undefined;
  });
  afterEach(async () => {
    await feed?.stop();
    await fake.close();
    assert.deepEqual(fake.violations, [], 'no Binance limit was ever breached');
  });

  const make = (options: Partial<BinanceFeedOptions> = {}): BinanceFeed =>
    (feed = new BinanceFeed({ url: fake.upstream.url('/stream'), logger, backoff: FAST_BACKOFF, discoveryMs: 100, ...options }));

  test('fixed symbols: book ticker and trades become one normalised quote; prevClose is the 24 h open', async () => {
    const sink = startFeed(make({ symbols: ['btcusdt', 'ETHBTC'] }));
    await fake.upstream.until(() => fake.allStreams().has('ethbtc@trade'), 'the streams');
    assert.deepEqual(fake.upstream.last.url.searchParams.get('streams')!.split('/'), ['!miniTicker@arr', 'btcusdt@bookTicker', 'btcusdt@trade', 'ethbtc@bookTicker', 'ethbtc@trade'], 'the first streams travel in the URL');
    await sink.until((s) => s.symbols.some((i) => i.symbol === 'BTCUSDT' && i.prevClose === 66000), 'the 24 h open learnt');
    assert.deepEqual(sink.symbols.at(-2), { symbol: 'BTCUSDT', name: 'BTC/USDT', exchange: 'BINANCE', currency: 'USDT', prevClose: 66000 });
    await fake.upstream.until(() => !fake.allStreams().has('!miniTicker@arr'), 'the all-market ticker dropped after discovery');
    assert.equal(lastStatus(sink), 'up');

    fake.book('BTCUSDT', '66999.99000000', '67000.01000000');
    fake.trade('BTCUSDT', '67000.00000000', '0.10000000');
    fake.trade('BTCUSDT', '67001.50000000', '0.20000000');
    fake.book('ETHBTC', '0.05299000', '0.05301000');
    await sink.until((s) => s.received.length === 4, 'four quotes');
    const [b1, t1, t2, e1] = sink.received;
    assert.deepEqual([b1!.bid, b1!.ask, b1!.last, b1!.prevClose], [66999.99, 67000.01, 67000, 66000]);
    assert.deepEqual([t1!.last, t1!.open, t1!.volume, t1!.change, t1!.changePct], [67000, 67000, 0.1, 1000, 1.52]);
    assert.deepEqual([t2!.last, t2!.bid, t2!.ask, t2!.volume, t2!.high], [67001.5, 67001.5, 67001.5, 0.3, 67001.5], 'a trade outside the last book: bid = ask = last (nothing invented); volume without float noise');
    assert.deepEqual([e1!.bid, e1!.ask, e1!.last, e1!.prevClose], [0.05299, 0.05301, 0.053, 0.052]);
    const stats = feed!.upstreamStats();
    assert.equal(stats.quotes, 4);
    assert.equal(stats.subscribedSymbols, 2);
    assert.ok(stats.lagMs !== undefined, 'lag from the event time');
  });

  test('hundreds of symbols: batched SUBSCRIBEs, never more than 5 messages a second', async () => {
    const symbols = Array.from({ length: 300 }, (_, i) => `S${String(i).padStart(3, '0')}USDT`);
    startFeed(make({ symbols }));
    await fake.upstream.until(() => fake.allStreams().size >= 600, 'all 600 streams', 10_000);
    const client = fake.upstream.last;
    const requests = fake.requests.filter((r) => r.method === 'SUBSCRIBE');
    assert.ok(requests.every((r) => r.params.length <= 200), 'at most 200 streams per request');
    assert.ok(requests.length <= 4, `batched: ${requests.length} requests for ${600 - (client.url.searchParams.get('streams')!.split('/').length - 1)} streams`);
    assert.ok(FakeUpstream.peakRate(client) <= 5, `peak ${FakeUpstream.peakRate(client)} messages per second`);
  });

  test('above the stream limit per connection, more connections are opened', async () => {
    fake.maxStreams = 10;
    const symbols = Array.from({ length: 12 }, (_, i) => `X${i}USDT`);
    const sink = startFeed(make({ symbols, maxStreamsPerConnection: 10 }));
    await fake.upstream.until(() => fake.allStreams().size >= 24, 'every stream on some connection', 5_000);
    assert.equal(fake.upstream.open.length, 3, 'ceil((1 + 24) / 10) connections');
    for (const client of fake.upstream.open) assert.ok(fake.streams.get(client)!.size <= 10);
    assert.equal(feed!.connectionCount, 3);
    await sink.until((s) => lastStatus(s) === 'up', 'up once all are');
    for (const s of symbols) fake.trade(s, '1.5', '2');
    await sink.until((s) => s.received.length === 12, 'a quote of every symbol');
  });

  test("server pings are answered with pongs carrying the same payload", async () => {
    startFeed(make({ symbols: ['BTCUSDT'] }));
    await fake.upstream.until(() => fake.upstream.open.length === 1, 'connected');
    fake.ping('ping-1723456789');
    await fake.upstream.until(() => fake.upstream.last.frames.some((f) => f.kind === 'pong'), 'a pong');
    assert.equal(fake.upstream.last.frames.find((f) => f.kind === 'pong')!.payload, Buffer.from('ping-1723456789').toString('hex'));
  });

  test('a dropped connection: reconnect, resubscribe, and trades repeated across it are not counted twice', async () => {
    const sink = startFeed(make({ symbols: ['BTCUSDT'] }));
    await sink.until((s) => lastStatus(s) === 'up', 'up');
    await fake.upstream.until(() => fake.allStreams().has('btcusdt@trade'), 'subscribed');
    fake.trade('BTCUSDT', '67000', '1', { tradeId: 10 });
    await sink.until((s) => s.received.length === 1, 'a quote');
    fake.upstream.cut();
    await fake.upstream.until(() => fake.upstream.clients.length === 2 && fake.allStreams().has('btcusdt@trade'), 'subscribed again');
    await sink.until((s) => lastStatus(s) === 'up', 'up again');
    fake.trade('BTCUSDT', '67000', '1', { tradeId: 10 }); // the same trade, seen again
    fake.trade('BTCUSDT', '67010', '2', { tradeId: 11 });
    await sink.until((s) => s.received.length === 2, 'the new trade');
    assert.deepEqual(sink.received.map((q) => [q.last, q.volume, q.seq]), [[67000, 1, 1], [67010, 3, 2]]);
    assert.ok(statusTrail(sink).some((s) => s.startsWith('down: binance#1: connection closed')), statusTrail(sink).join(' | '));
    assert.equal(feed!.upstreamStats().reconnects, 1);
  });

  test('a serverShutdown event: reconnect at once', async () => {
    const sink = startFeed(make({ symbols: ['BTCUSDT'] }));
    await fake.upstream.until(() => fake.allStreams().has('btcusdt@trade'), 'subscribed');
    fake.serverShutdown();
    await fake.upstream.until(() => fake.upstream.clients.length === 2 && fake.allStreams().has('btcusdt@trade'), 'a new connection');
    fake.trade('BTCUSDT', '1', '1');
    await sink.until((s) => s.received.length === 1, 'data on the new connection');
  });

  test('connections are rotated before their lifetime runs out', async () => {
    const sink = startFeed(make({ symbols: ['BTCUSDT'], maxLifetimeMs: 300, random: () => 0 }));
    await fake.upstream.until(() => fake.upstream.clients.length >= 2 && fake.allStreams().has('btcusdt@trade'), 'a rotated connection', 5_000);
    assert.ok(fake.upstream.clients[0]!.closed);
    fake.trade('BTCUSDT', '1', '1');
    await sink.until((s) => s.received.length === 1 && lastStatus(s) === 'up', 'data after the rotation');
  });

  test('a stalled upstream: stale, then a new connection', async () => {
    const sink = startFeed(make({ symbols: ['BTCUSDT'], staleAfterMs: 200 }));
    await sink.until((s) => lastStatus(s) === 'up', 'up');
    fake.upstream.stalled = true;
    await sink.until((s) => lastStatus(s).startsWith('stale'), 'stale', 3_000);
    await fake.upstream.until(() => fake.upstream.clients.length === 2, 'reconnected', 3_000);
    fake.upstream.stalled = false;
    await fake.upstream.until(() => fake.allStreams().has('btcusdt@trade'), 'resubscribed');
    fake.trade('BTCUSDT', '1', '1');
    await sink.until((s) => s.received.length === 1 && lastStatus(s) === 'up', 'data and up');
  });

  test('a location refusal (HTTP 451): one clear error, and the next attempt only after authRetryMs', async () => {
    fake.upstream.refuseWith = 451;
    const sink = startFeed(make({ symbols: ['BTCUSDT'], authRetryMs: 400 }));
    const started = performance.now();
    await sink.until((s) => lastStatus(s).includes('HTTP 451'), 'down with the reason');
    assert.match(lastStatus(sink), /^down: binance#1: the endpoint refuses this location \(HTTP 451\); use --feed-url .*; retrying in 400 ms$/);
    assert.deepEqual(logger.errors(), [lastStatus(sink).slice('down: '.length)]);
    await fake.upstream.until(() => fake.upstream.attempts === 2, 'the slow retry', 3_000);
    assert.ok(performance.now() - started >= 390, 'no retry storm');
    fake.upstream.refuseWith = undefined;
  });

  test('malformed messages are counted and skipped', async () => {
    const sink = startFeed(make({ symbols: ['BTCUSDT'] }));
    await fake.upstream.until(() => fake.allStreams().has('btcusdt@trade'), 'subscribed');
    fake.raw('{"stream":"btcusdt@trade","data":{"e":"trade","s":"BTCUSDT","p":"abc","q":"1","t":1,"T":1}}');
    fake.raw('{"stream":"btcusdt@bookTicker","data":{"u":1,"s":"BTCUSDT","b":"2","a":"1"}}'); // crossed: refused
    fake.raw('<html>');
    fake.raw('{"stream":"btcusdt@trade","data":7}');
    fake.trade('BTCUSDT', '5', '1');
    await sink.until((s) => s.received.length === 1, 'the good trade');
    assert.equal(feed!.upstreamStats().parseErrors, 4);
    assert.equal(lastStatus(sink), 'up');
  });

  describe('interest-driven subscriptions (no --feed-symbols)', () => {
    test('learns the universe, subscribes what clients want, releases it after the hold', async () => {
      const sink = startFeed(make({ alwaysOn: ['BTCUSDT'], holdMs: 150 }));
      await sink.until((s) => s.symbols.some((i) => i.symbol === 'ETHBTC'), 'the listed universe announced');
      assert.deepEqual([...new Set(sink.symbols.map((i) => i.symbol))].sort(), ['BNBUSDT', 'BTCUSDT', 'ETHBTC', 'ETHUSDT']);
      assert.equal(sink.symbols.find((i) => i.symbol === 'ETHUSDT')!.prevClose, 3500);
      await fake.upstream.until(() => !fake.allStreams().has('!miniTicker@arr'), 'discovery over');
      assert.deepEqual([...fake.allStreams()].sort(), ['btcusdt@bookTicker', 'btcusdt@trade'], 'only the always-on symbol');

      feed!.interest(new Set(['ETHUSDT', 'NOTLISTED']));
      await fake.upstream.until(() => fake.allStreams().has('ethusdt@trade'), 'ETHUSDT subscribed');
      assert.ok(!fake.allStreams().has('notlisted@trade'), 'symbols the upstream does not list are ignored');
      fake.trade('ETHUSDT', '3600', '1');
      await sink.until((s) => s.received.some((q) => q.symbol === 'ETHUSDT'), 'an ETHUSDT quote');
      assert.equal(sink.received.find((q) => q.symbol === 'ETHUSDT')!.prevClose, 3500);

      const released = performance.now();
      feed!.interest(new Set());
      await fake.upstream.until(() => !fake.allStreams().has('ethusdt@trade'), 'ETHUSDT released', 3_000);
      assert.ok(performance.now() - released >= 140, 'not before the hold');
      assert.ok(fake.allStreams().has('btcusdt@trade'), 'the always-on symbol stays');
      assert.equal(feed!.upstreamStats().subscribedSymbols, 1);
    });

    test('a flapping client within the hold causes no upstream churn', async () => {
      startFeed(make({ holdMs: 10_000 }));
      await fake.upstream.until(() => fake.upstream.open.length === 1 && !fake.allStreams().has('!miniTicker@arr'), 'discovery over');
      feed!.interest(new Set(['ETHUSDT']));
      await fake.upstream.until(() => fake.allStreams().has('ethusdt@trade'), 'subscribed');
      const before = fake.requests.length;
      for (let i = 0; i < 50; i++) feed!.interest(new Set(i % 2 === 0 ? [] : ['ETHUSDT']));
      feed!.interest(new Set(['ETHUSDT', 'BNBUSDT']));
      await fake.upstream.until(() => fake.allStreams().has('bnbusdt@trade'), 'BNBUSDT subscribed');
      assert.equal(fake.requests.length, before + 1, 'one request: BNBUSDT; nothing for the flapping ETHUSDT');
    });

    test('fast-changing interest is batched under the message rate limit', async () => {
      const many = Array.from({ length: 60 }, (_, i) => ({ symbol: `C${i}USDT`, open: '1', close: '1' }));
      fake.listed = many;
      startFeed(make({ holdMs: 0 }));
      await fake.upstream.until(() => fake.upstream.open.length === 1 && !fake.allStreams().has('!miniTicker@arr'), 'discovery over', 5_000);
      const wanted = new Set<string>();
      for (let i = 0; i < many.length; i++) {
        wanted.add(many[i]!.symbol);
        if (i % 3 === 2) wanted.delete(many[i - 1]!.symbol);
        feed!.interest(new Set(wanted));
        await new Promise<void>((resolve) => setImmediate(resolve)); // clients subscribing one after another
      }
      const expected = new Set([...wanted].flatMap((s) => [`${s.toLowerCase()}@bookTicker`, `${s.toLowerCase()}@trade`]));
      await fake.upstream.until(() => fake.allStreams().size === expected.size && [...expected].every((s) => fake.allStreams().has(s)), 'the final set', 10_000);
      assert.ok(FakeUpstream.peakRate(fake.upstream.last) <= 5, `peak ${FakeUpstream.peakRate(fake.upstream.last)} per second`);
      assert.ok(fake.requests.length < many.length, `batched: ${fake.requests.length} requests for ${many.length} changes`);
    });
  });
});

describe('binance messages', () => {
  test('combined events, answers and errors', () => {
    assert.deepEqual(parseBinanceMessage('{"result":null,"id":3}'), { kind: 'result', id: 3 });
    assert.deepEqual(parseBinanceMessage('{"code":2,"msg":"Invalid request","id":4}'), { kind: 'error', code: 2, message: 'Invalid request', id: 4 });
    assert.deepEqual(parseBinanceMessage('{"error":{"code":1,"msg":"bad"},"id":5}'), { kind: 'error', code: 1, message: 'bad', id: 5 });
    assert.deepEqual(parseBinanceMessage('{"stream":"x@bookTicker","data":{"u":9,"s":"X","b":"0.00000000","B":"0","a":"2.5","A":"1"}}'), { kind: 'book', symbol: 'X', bid: undefined, ask: 2.5, updateId: 9 });
    assert.equal(parseBinanceMessage('{"e":"serverShutdown","E":1}').kind, 'shutdown');
  });

  test('symbol descriptions split the quote asset', () => {
    assert.deepEqual(describeBinanceSymbol('ETHBTC'), { symbol: 'ETHBTC', name: 'ETH/BTC', exchange: 'BINANCE', currency: 'BTC' });
    assert.deepEqual(describeBinanceSymbol('SOLFDUSD'), { symbol: 'SOLFDUSD', name: 'SOL/FDUSD', exchange: 'BINANCE', currency: 'FDUSD' });
    assert.equal(describeBinanceSymbol('WEIRD').currency, '');
  });
});
