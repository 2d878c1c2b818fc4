import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { openClient, quotesOf, startTestServer, type WireMessage } from '../helpers/server.js';
import { Inbox } from '../helpers/inbox.js';
import { waitFor } from '../helpers/events.js';
import { BINARY_SUBPROTOCOL, decodeServerMessageBinary, type ServerMessage, type WireBar, type WireQuote } from '../../src/wire/index.js';
import type { TickstreamServer } from '../../src/app/server.js';

const TF_MS = { '1s': 1000, '5s': 5000, '1m': 60_000, '5m': 300_000 } as const;

async function get(server: TickstreamServer, path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`http://127.0.0.1:${server.port}${path}`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/**
 * The seam rule of docs/history.md, as a client applies it: quotes of a higher seq than the bars
 * reply's fold into the last bar by their ts (or start the next bar); the rest are already counted.
 */
class LiveBars {
  readonly bars: WireBar[];
  private seq: number;
  private volume: number;
  constructor(reply: WireMessage, private readonly ms: number) {
    this.bars = (reply.bars as WireBar[]).map((b) => ({ ...b }));
    this.seq = reply.seq as number;
    this.volume = reply.volume as number;
  }
  fold(q: WireQuote): void {
    if (q.seq <= this.seq) return;
    this.seq = q.seq;
    const traded = q.volume >= this.volume ? q.volume - this.volume : q.volume;
    this.volume = q.volume;
    const start = q.ts - (q.ts % this.ms);
    const last = this.bars.at(-1);
    if (last === undefined || start > last.t) this.bars.push({ t: start, o: q.last, h: q.last, l: q.last, c: q.last, v: traded });
    else if (start === last.t) {
      last.h = Math.max(last.h, q.last);
      last.l = Math.min(last.l, q.last);
      last.c = q.last;
      last.v += traded;
    } else last.v += traded;
  }
}

describe('history: bars, ticks and market sessions', { timeout: 30_000 }, () => {
  test('GET /api/bars: a fresh server has the day so far; errors say what is wrong', async () => {
    const server = await startTestServer({ appHeartbeatMs: 0 });
    try {
      const { status, body } = await get(server, '/api/bars?symbol=aapl');
      assert.equal(status, 200);
      assert.equal(body.symbol, 'AAPL', 'symbols resolve case-insensitively');
      assert.equal(body.tf, '1m', 'default timeframe');
      const bars = body.bars as WireBar[];
      assert.equal(bars.length, 300, 'default limit');
      for (let i = 1; i < bars.length; i++) assert.equal(bars[i]!.t - bars[i - 1]!.t, 60_000, 'consecutive minutes (always open)');
      assert.equal(typeof body.epoch, 'string');
      assert.ok((body.seq as number) >= 1 && (body.volume as number) > 0 && typeof body.offset === 'number');
      const fine = await get(server, '/api/bars?symbol=600519.SH&tf=1s&limit=3600');
      assert.ok((fine.body.bars as WireBar[]).length >= 600, '1 s bars for at least the last 10 minutes');

      for (const [path, code, pattern] of [
        ['/api/bars', 400, /symbol is required/],
        ['/api/bars?symbol=AAPL&tf=2m', 400, /tf must be one of 1s, 5s, 1m, 5m/],
        ['/api/bars?symbol=AAPL&limit=0', 400, /limit must be an integer from 1 to 3600/],
        ['/api/bars?symbol=AAPL&limit=abc', 400, /limit must be an integer/],
        ['/api/bars?symbol=NOPE', 404, /unknown symbol: NOPE/],
        ['/api/ticks?symbol=AAPL&limit=5000', 400, /limit must be an integer from 1 to 200/],
        ['/api/ticks?symbol=NOPE', 404, /unknown symbol/],
      ] as const) {
        const r = await get(server, path);
        assert.equal(r.status, code, path);
        assert.match(String(r.body.message), pattern, path);
      }
      const post = await fetch(`http://127.0.0.1:${server.port}/api/bars?symbol=AAPL`, { method: 'POST' });
      assert.equal(post.status, 405);
    } finally {
      await server.close();
    }
  });

  test('GET /api/ticks and GET /api/markets', async () => {
    const server = await startTestServer({ appHeartbeatMs: 0 });
    try {
      type Tick = { ts: number; seq: number; last: number; bid: number; ask: number; volume: number };
      const ticks = await waitFor('three MSFT ticks', async () => {
        const r = await get(server, '/api/ticks?symbol=MSFT&limit=3');
        const list = r.body.ticks as Tick[];
        return list.length === 3 ? list : undefined;
      });
      assert.deepEqual(ticks.map((t) => t.seq), [ticks[0]!.seq, ticks[0]!.seq + 1, ticks[0]!.seq + 2], 'the newest ticks in order');
      for (const t of ticks) assert.ok(t.bid <= t.last && t.last <= t.ask && t.volume > 0);

      const { status, body } = await get(server, '/api/markets');
      assert.equal(status, 200);
      assert.equal(body.alwaysOpen, true, 'the demo simulator trades around the clock');
      const markets = body.markets as Array<Record<string, unknown>>;
      assert.deepEqual(markets.map((m) => m.id), ['US', 'CN']);
      for (const m of markets) {
        assert.equal(m.state, 'open');
        assert.ok(['pre-open', 'open', 'break', 'closed'].includes(m.exchangeState as string));
        assert.match(String(m.localTime), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
      }
      assert.deepEqual(markets[1]!.sessions, [{ open: '09:30', close: '11:30' }, { open: '13:00', close: '15:00' }]);
      assert.equal(markets[0]!.timeZone, 'America/New_York');
      const symbols = (await (await fetch(`http://127.0.0.1:${server.port}/api/symbols`)).json()) as Array<{ symbol: string; market?: string }>;
      assert.equal(symbols.find((s) => s.symbol === 'AAPL')!.market, 'US');
      assert.equal(symbols.find((s) => s.symbol === '600519.SH')!.market, 'CN');
    } finally {
      await server.close();
    }
  });

  test('the bars command over WebSocket, continued live with the seam rule: no gap, no bar counted twice', async () => {
    const server = await startTestServer({ appHeartbeatMs: 0, feed: { kind: 'simulator', seed: 5, ticksPerSecond: 2000 } });
    const client = await openClient(`ws://127.0.0.1:${server.port}/?symbols=AAPL&interval=0`);
    try {
      await client.nextOfType('snapshot');
      client.send({ type: 'bars', symbol: 'aapl', tf: '1s', limit: 120, id: 'b1' });
      const reply = await client.next((m) => m.type === 'bars' && m.id === 'b1');
      assert.equal(reply.symbol, 'AAPL');
      assert.equal((reply.bars as WireBar[]).length, 120);
      const live = new LiveBars(reply, TF_MS['1s']);
      const firstNew = (reply.bars as WireBar[]).at(-1)!.t;
      // Fold every tick for a little over 2 s: at least two new 1 s bars.
      while (live.bars.at(-1)!.t < firstNew + 2000) {
        for (const q of quotesOf(await client.next((m) => m.type === 'quotes'))) live.fold(q);
      }
      const server1s = (await get(server, '/api/bars?symbol=AAPL&tf=1s&limit=3600')).body.bars as WireBar[];
      const byTime = new Map(server1s.map((b) => [b.t, b]));
      // Every bar the client completed is exactly the server's (the last one may still be growing).
      const done = live.bars.slice(0, -1);
      assert.ok(done.length >= 121);
      for (const bar of done) assert.deepEqual(bar, byTime.get(bar.t), `bar at ${bar.t}`);
      for (let i = 1; i < live.bars.length; i++) assert.ok(live.bars[i]!.t > live.bars[i - 1]!.t, 'no duplicated bar');
    } finally {
      await client.close();
      await server.close();
    }
  });

  test('bars command errors keep the connection; the binary encoding carries the reply too', async () => {
    const server = await startTestServer({ appHeartbeatMs: 0 });
    const client = await openClient(`ws://127.0.0.1:${server.port}/?symbols=AAPL`);
    try {
      await client.nextOfType('snapshot');
      const cases: Array<[object, string, RegExp]> = [
        [{ type: 'bars', symbol: 'NOPE', tf: '1m', id: 1 }, 'unknown_symbol', /unknown symbols/],
        [{ type: 'bars', symbol: 'AAPL', tf: '1h', id: 2 }, 'bad_request', /"tf" must be one of 1s, 5s, 1m, 5m/],
        [{ type: 'bars', symbol: 'AAPL', tf: '1m', limit: 99999, id: 3 }, 'bad_request', /"limit" must be an integer from 1 to 3600/],
        [{ type: 'bars', tf: '1m', id: 4 }, 'bad_request', /"symbol" must be a string/],
      ];
      for (const [command, code, pattern] of cases) {
        client.send(command);
        const error = await client.next((m) => m.type === 'error' && m.id === (command as { id: number }).id);
        assert.equal(error.code, code);
        assert.match(String(error.message), pattern);
      }
      client.send({ type: 'bars', symbol: 'MSFT', tf: '5m', limit: 10, id: 5 });
      const ok = await client.next((m) => m.id === 5);
      assert.equal(ok.type, 'bars');
      assert.equal((ok.bars as WireBar[]).length, 10);

      // tickstream.bin.v1: the same reply, decoded from a binary frame.
      const ws = new WebSocket(`ws://127.0.0.1:${server.port}/?symbols=MSFT`, [BINARY_SUBPROTOCOL]);
      const inbox = new Inbox<ServerMessage>();
      ws.on('message', (data: Buffer, isBinary: boolean) => inbox.push(isBinary ? decodeServerMessageBinary(new Uint8Array(data)) : (JSON.parse(String(data)) as ServerMessage)));
      await new Promise<void>((resolve, reject) => ws.once('open', resolve).once('error', reject));
      ws.send(JSON.stringify({ type: 'bars', symbol: 'MSFT', tf: '5m', limit: 10, id: 6 }));
      const binary = await inbox.next((m) => m.type === 'bars', 5_000, () => 'no binary bars reply');
      assert.ok(binary.type === 'bars');
      assert.deepEqual(binary.bars.slice(0, 9), (ok.bars as WireBar[]).slice(0, 9), 'closed 5 min bars are the same');
      ws.close();
    } finally {
      await client.close();
      await server.close();
    }
  });
});
