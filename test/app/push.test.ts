// End-to-end: real sockets on 127.0.0.1 against startServer, through our own client.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { TickstreamServer } from '../../src/app/server.js';
import { openClient, quotesOf, startTestServer, type WireMessage } from '../helpers/server.js';

const isQuotes = (m: WireMessage): boolean => m.type === 'quotes';

describe('quote push over WebSocket', () => {
  let server: TickstreamServer;
  before(async () => {
    // A lively market (2000 ticks/s over 44 symbols) so every symbol moves within a few hundred ms.
    server = await startTestServer({ intervalMs: 200, feed: { kind: 'simulator', seed: 7, ticksPerSecond: 2000, tickIntervalMs: 20 } });
  });
  after(() => server.close());

  test('a silent client gets welcome, snapshot, then pushes within the interval', { timeout: 10_000 }, async () => {
    const client = await openClient(server.wsUrl);
    try {
      const welcome = await client.next();
      assert.equal(welcome.type, 'welcome');
      assert.equal(welcome.server, 'tickstream');
      assert.equal(welcome.interval, 200);
      assert.deepEqual(welcome.symbols, ['*']);
      const snapshot = await client.next();
      assert.equal(snapshot.type, 'snapshot');
      assert.ok(quotesOf(snapshot).length >= 30, 'snapshot covers the universe');
      const snapshotAt = client.received.at(-1)!.at;
      await client.next(isQuotes, 2_000);
      const firstPushAt = client.received.find((e) => e.message.type === 'quotes')!.at;
      assert.ok(firstPushAt - snapshotAt < 200 + 250, `first push ${Math.round(firstPushAt - snapshotAt)} ms after the snapshot`);
    } finally {
      await client.close();
    }
  });

  test('subscribe: snapshot first, then updates with increasing seq; unsubscribe stops them', { timeout: 10_000 }, async () => {
    const client = await openClient(`${server.wsUrl}?symbols=&interval=0`);
    try {
      assert.deepEqual((await client.nextOfType('welcome')).symbols, []);
      assert.deepEqual(quotesOf(await client.nextOfType('snapshot')), []);

      client.send({ type: 'subscribe', symbols: ['AAPL', 'MSFT'], id: 1 });
      const ack = await client.next((m) => m.type === 'subscriptions' && m.id === 1);
      assert.deepEqual([...(ack.symbols as string[])].sort(), ['AAPL', 'MSFT']);
      // The snapshot of the new symbols comes before any update of them.
      const first = await client.next((m) => m.type === 'snapshot' || m.type === 'quotes');
      assert.equal(first.type, 'snapshot');
      const lastSeq = new Map(quotesOf(first).map((q) => [q.symbol, q.seq]));
      assert.deepEqual([...lastSeq.keys()].sort(), ['AAPL', 'MSFT']);

      let updates = 0;
      while (updates < 10) {
        for (const q of quotesOf(await client.next(isQuotes))) {
          assert.ok(q.symbol === 'AAPL' || q.symbol === 'MSFT', `unexpected ${q.symbol}`);
          assert.ok(q.seq > lastSeq.get(q.symbol)!, `${q.symbol} seq ${q.seq} after ${lastSeq.get(q.symbol)}`);
          lastSeq.set(q.symbol, q.seq);
          updates++;
        }
      }

      client.send({ type: 'unsubscribe', symbols: ['AAPL'], id: 2 });
      assert.deepEqual((await client.next((m) => m.type === 'subscriptions' && m.id === 2)).symbols, ['MSFT']);
      // MSFT keeps flowing; AAPL never again (checked over many MSFT batches, no fixed sleep).
      let msftBatches = 0;
      while (msftBatches < 8) {
        const quotes = quotesOf(await client.next(isQuotes));
        assert.ok(quotes.every((q) => q.symbol === 'MSFT'), 'no AAPL after unsubscribe');
        if (quotes.length > 0) msftBatches++;
      }
    } finally {
      await client.close();
    }
  });

  test('interval 0 pushes every feed batch, interval 250 about four times a second', { timeout: 10_000 }, async () => {
    const fast = await openClient(`${server.wsUrl}?symbols=AAPL,MSFT,NVDA,600519.SH&interval=0`);
    const paced = await openClient(`${server.wsUrl}?symbols=AAPL,MSFT,NVDA,600519.SH&interval=250`);
    try {
      await paced.nextOfType('snapshot');
      await fast.nextOfType('snapshot');
      for (let i = 0; i < 6; i++) await paced.next(isQuotes, 2_000);
      const pacedTimes = paced.received.filter((e) => e.message.type === 'quotes').map((e) => e.at);
      const gaps = pacedTimes.slice(1).map((t, i) => t - pacedTimes[i]!);
      // The median (not every gap) is checked: on a loaded machine one timer may fire late and the next early.
      const median = [...gaps].sort((a, b) => a - b)[Math.floor(gaps.length / 2)]!;
      assert.ok(median > 200 && median < 350, `250 ms cadence, gaps ${gaps.map(Math.round).join(', ')} ms`);
      const window = [pacedTimes[0]!, pacedTimes.at(-1)!];
      const fastInWindow = fast.received.filter((e) => e.message.type === 'quotes' && e.at >= window[0]! && e.at <= window[1]!);
      assert.ok(
        fastInWindow.length > gaps.length * 2,
        `interval 0 got ${fastInWindow.length} pushes while interval 250 got ${gaps.length}`,
      );
      // A paced batch holds each symbol at most once (the latest value); an every-tick batch need not.
      for (const e of paced.received) {
        const symbols = quotesOf(e.message).map((q) => q.symbol);
        assert.equal(new Set(symbols).size, symbols.length);
      }
      paced.send({ type: 'interval', interval: 0, id: 'i' });
      assert.equal((await paced.next((m) => m.type === 'interval')).interval, 0);
    } finally {
      await Promise.all([fast.close(), paced.close()]);
    }
  });

  test('bad commands get error messages and the connection stays open', { timeout: 10_000 }, async () => {
    const client = await openClient(`${server.wsUrl}?symbols=AAPL`);
    try {
      await client.nextOfType('snapshot');
      const isError = (m: WireMessage): boolean => m.type === 'error';
      client.conn.send('{not json');
      assert.equal((await client.next(isError)).code, 'bad_json');
      client.send({ type: 'fly', id: 10 });
      const unknownCommand = await client.next(isError);
      assert.equal(unknownCommand.code, 'unknown_command');
      assert.equal(unknownCommand.id, 10);
      client.send({ type: 'subscribe', id: 11 });
      assert.equal((await client.next(isError)).code, 'bad_request');
      client.send({ type: 'interval', interval: 3, id: 12 });
      assert.equal((await client.next(isError)).code, 'bad_request');
      client.send({ type: 'subscribe', symbols: ['MSFT', 'NOPE.XX'], id: 13 });
      const unknownSymbol = await client.next(isError);
      assert.equal(unknownSymbol.code, 'unknown_symbol');
      assert.deepEqual(unknownSymbol.symbols, ['NOPE.XX']);
      // The known symbol was still subscribed, and the connection still answers.
      client.send({ type: 'ping', id: 14 });
      assert.equal((await client.next((m) => m.type === 'pong')).id, 14);
      const subs = client.received.find((e) => e.message.type === 'subscriptions' && e.message.id === 13);
      assert.deepEqual([...((subs?.message.symbols as string[]) ?? [])].sort(), ['AAPL', 'MSFT']);
    } finally {
      await client.close();
    }
  });

  test('upgrade requests: bad parameters → 400, unknown path → 404, /ws works', { timeout: 10_000 }, async () => {
    await assert.rejects(openClient(`${server.wsUrl}?interval=abc`), /400/);
    await assert.rejects(openClient(`${server.url.replace('http', 'ws')}/nope`), /404/);
    const client = await openClient(`${server.url.replace('http', 'ws')}/ws?symbols=AAPL`);
    assert.equal((await client.nextOfType('welcome')).type, 'welcome');
    await client.close();
  });

  test('the REST snapshot matches what WebSocket clients see once the feed stops', { timeout: 10_000 }, async () => {
    const other = await startTestServer({ intervalMs: 0, feed: { kind: 'simulator', seed: 99, ticksPerSecond: 2000, tickIntervalMs: 20 } });
    const client = await openClient(`${other.wsUrl}?symbols=AAPL,600519.SH&interval=0`);
    try {
      const latest = new Map<string, { seq: number; last: number }>();
      const track = (m: WireMessage): void => {
        for (const q of quotesOf(m)) latest.set(q.symbol, { seq: q.seq, last: q.last });
      };
      track(await client.nextOfType('snapshot'));
      for (let i = 0; i < 3; i++) track(await client.next(isQuotes));
      await other.hub.stop(); // freeze the market: no tick can slip in between the two reads
      client.send({ type: 'ping', id: 'sync' }); // every push made before the stop arrives before this pong
      await client.next((m) => m.type === 'pong');
      for (const e of client.received) track(e.message);
      const response = await fetch(`${other.url}/api/quotes?symbols=AAPL,600519.SH`);
      assert.equal(response.status, 200);
      const rest = ((await response.json()) as { quotes: Array<{ symbol: string; seq: number; last: number }> }).quotes;
      assert.equal(rest.length, 2);
      for (const q of rest) assert.deepEqual({ seq: q.seq, last: q.last }, latest.get(q.symbol), q.symbol);
    } finally {
      await client.close();
      await other.close();
    }
  });
});

describe('read-only mode (the article\'s server)', () => {
  test('any client message closes the connection with 1008 "read-only feed"', { timeout: 10_000 }, async () => {
    const server = await startTestServer({ clientMessages: 'close', intervalMs: 100 });
    try {
      const client = await openClient(server.wsUrl);
      await client.nextOfType('snapshot');
      await client.next(isQuotes, 2_000); // pushes arrive unasked, like `price = 299.9` once a second
      client.conn.send('hello');
      assert.deepEqual(await client.closed, { code: 1008, reason: 'read-only feed' });
    } finally {
      await server.close();
    }
  });
});
