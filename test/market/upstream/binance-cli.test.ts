/**
 * End to end: `tickstream serve --feed binance:BTCUSDT --feed-url ws://127.0.0.1:PORT/stream` as a
 * child process against the fake Binance, and a `ws` client. The client's subscription reaches the
 * upstream through the hub's interest hook; the fake's events come out as normalised quotes; the
 * feed status reaches the client, /healthz and /metrics.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { Inbox } from '../../helpers/inbox.js';
import { spawnCli, waitForListening, type SpawnedCli } from '../../helpers/server.js';
import { BinanceFake } from './fakes/binance-fake.js';

type Message = { type: string; [key: string]: unknown };
type Quote = { symbol: string; [field: string]: unknown };

describe('tickstream serve --feed binance (CLI, against the fake)', () => {
  let fake: BinanceFake;
  let cli: SpawnedCli;
  let port = 0;

  before(async () => {
    fake = await BinanceFake.start({ tickerEveryMs: 100 });
    fake.listed = [
      { symbol: 'BTCUSDT', open: '66000.00', close: '67000.00' },
      { symbol: 'ETHUSDT', open: '3500.00', close: '3550.00' },
      { symbol: 'SOLUSDT', open: '150.00', close: '151.00' },
    ];
    cli = spawnCli(
      ['serve', '--host', '127.0.0.1', '--port', '0', '--feed', 'binance:BTCUSDT', '--feed-url', fake.upstream.url('/stream'), '--log-format', 'json', '--heartbeat', '0'],
      { FINNHUB_TOKEN: '', APCA_API_KEY_ID: '', APCA_API_SECRET_KEY: '' },
    );
    port = await waitForListening(cli);
    await cli.waitForLine((line) => line.includes('binance: 3 symbols listed'), 15_000);
  });

  after(async () => {
    cli.kill();
    await cli.exited;
    await fake.close();
  });

  test('a client subscribes; the upstream follows; quotes arrive normalised; status reaches clients and /healthz', async () => {
    // Before any client: only the always-on symbol is subscribed upstream.
    await fake.upstream.until(() => !fake.allStreams().has('!miniTicker@arr'), 'discovery over', 10_000);
    assert.deepEqual([...fake.allStreams()].sort(), ['btcusdt@bookTicker', 'btcusdt@trade']);

    const ws = new WebSocket(`ws://127.0.0.1:${port}/?symbols=ETHUSDT&interval=0`);
    const inbox = new Inbox<Message>();
    ws.on('message', (data) => inbox.push(JSON.parse(data.toString()) as Message));
    ws.on('close', () => inbox.end(() => 'the client connection closed'));
    const next = (predicate: (m: Message) => boolean, what: string): Promise<Message> => inbox.next(predicate, 10_000, () => `timed out waiting for ${what}`);
    try {
      const welcome = await next((m) => m.type === 'welcome', 'welcome');
      assert.deepEqual(welcome['symbols'], ['ETHUSDT'], 'ETHUSDT is known: the universe was learnt from the all-market ticker');

      await fake.upstream.until(() => fake.allStreams().has('ethusdt@trade') && fake.allStreams().has('ethusdt@bookTicker'), 'ETHUSDT subscribed upstream', 10_000);
      fake.book('ETHUSDT', '3549.50000000', '3550.50000000');
      fake.trade('ETHUSDT', '3550.25000000', '0.50000000');
      const quotes: Quote[] = [];
      while (quotes.length < 2) {
        const m = await next((x) => x.type === 'quotes', 'quotes');
        quotes.push(...(m['quotes'] as Quote[]).filter((q) => q.symbol === 'ETHUSDT'));
      }
      assert.deepEqual(
        { ...quotes[1], ts: 0 },
        { symbol: 'ETHUSDT', last: 3550.25, bid: 3549.5, ask: 3550.5, open: 3550.25, high: 3550.25, low: 3550.25, prevClose: 3500, change: 50.25, changePct: 1.44, volume: 0.5, ts: 0, seq: 2 },
      );

      const health = (await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()) as { feed: { state: string } };
      assert.equal(health.feed.state, 'up');
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      assert.match(metrics, /tickstream_upstream_messages_total\{feed="binance"\} [1-9]/);
      assert.match(metrics, /tickstream_upstream_quotes_total\{feed="binance"\} 2\b/);
      assert.match(metrics, /tickstream_upstream_subscribed_symbols\{feed="binance"\} 2\b/);
      assert.match(metrics, /tickstream_upstream_last_message_age_seconds\{feed="binance"\} \d/);

      // The upstream goes away: clients are told, and told again when it is back.
      fake.upstream.cut();
      const down = await next((m) => m.type === 'status' && m['feed'] === 'down', 'status down');
      assert.match(String(down['reason']), /binance#1: connection closed .*reconnecting/);
      await next((m) => m.type === 'status' && m['feed'] === 'up', 'status up');
      await fake.upstream.until(() => fake.allStreams().has('ethusdt@trade'), 'resubscribed after the reconnect', 10_000);
    } finally {
      ws.close();
    }
  });
});
