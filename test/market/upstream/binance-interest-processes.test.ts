/**
 * Interest-driven Binance subscriptions when the clients are in other processes than the feed: the
 * cluster workers' interest reaches the primary over IPC, the Redis edges' reaches the ingest through
 * Redis (src/app/interest-sharing.ts). Real processes, the fake Binance, a real redis-server.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { spawnCli, waitForListening, type SpawnedCli } from '../../helpers/server.js';
import { RedisServer } from '../../helpers/redis.js';
import { waitFor } from '../../helpers/events.js';
import { BinanceFake } from './fakes/binance-fake.js';

const NO_KEYS = { FINNHUB_TOKEN: '', APCA_API_KEY_ID: '', APCA_API_SECRET_KEY: '' };

/** A client of `url`; resolves with its welcome (which names the worker that serves it). */
function client(url: string): Promise<{ ws: WebSocket; welcome: { worker?: number } }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once('error', reject);
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as { type: string; worker?: number };
      if (m.type === 'welcome') resolve({ ws, welcome: m });
    });
  });
}

describe('interest-driven upstream subscriptions across processes', { timeout: 90_000 }, () => {
  let fake: BinanceFake;
  const children: SpawnedCli[] = [];
  const sockets: WebSocket[] = [];
  before(async () => {
    fake = await BinanceFake.start({ tickerEveryMs: 100 });
    fake.listed = [
      { symbol: 'BTCUSDT', open: '66000.00', close: '67000.00' },
      { symbol: 'ETHUSDT', open: '3500.00', close: '3550.00' },
      { symbol: 'SOLUSDT', open: '150.00', close: '151.00' },
    ];
  });
  after(async () => {
    for (const ws of sockets) ws.close();
    for (const c of children) c.kill();
    await Promise.all(children.map((c) => c.exited));
    await fake.close();
  });

  test('--workers 2: each worker\'s clients reach the feed in the primary', async () => {
    const cli = spawnCli(['serve', '--workers', '2', '--host', '127.0.0.1', '--port', '0', '--feed', 'binance:BTCUSDT', '--feed-url', fake.upstream.url('/stream'), '--log-format', 'json'], NO_KEYS);
    children.push(cli);
    const line = await cli.waitForLine((l) => l.includes('"msg":"cluster listening"'), 20_000);
    const port = (JSON.parse(line) as { port: number }).port;
    await cli.waitForLine((l) => l.includes('binance: 3 symbols listed'), 15_000);
    // Clients until the two symbols are wanted on two different workers.
    const byWorker = new Map<number, string>();
    for (let i = 0; i < 20 && byWorker.size < 2; i++) {
      const symbol = byWorker.size === 0 ? 'ETHUSDT' : 'SOLUSDT';
      const { ws, welcome } = await client(`ws://127.0.0.1:${port}/?symbols=${symbol}`);
      sockets.push(ws);
      if (!byWorker.has(welcome.worker!)) byWorker.set(welcome.worker!, symbol);
    }
    assert.equal(byWorker.size, 2, 'clients on two workers');
    await fake.upstream.until(() => fake.allStreams().has('ethusdt@trade') && fake.allStreams().has('solusdt@trade'), 'both workers\' symbols subscribed upstream', 15_000);
    assert.ok(fake.allStreams().has('btcusdt@trade'), 'the always-on symbol stays');
  });

  test('ingest + Redis + edge: the edge\'s clients reach the feed in the ingest', async () => {
    const redis = await RedisServer.start();
    try {
      const market = `i${Date.now().toString(36)}`;
      // The ingest's upstream connections are the ones opened from now on.
      const earlier = new Set(fake.upstream.clients);
      const ingestStreams = (): Set<string> => {
        const out = new Set<string>();
        for (const c of fake.upstream.open) if (!earlier.has(c)) for (const s of fake.streams.get(c) ?? []) out.add(s);
        return out;
      };
      const ingest = spawnCli(['ingest', '--broker', redis.url, '--broker-prefix', market, '--metrics-port', '0', '--host', '127.0.0.1', '--feed', 'binance:BTCUSDT', '--feed-url', fake.upstream.url('/stream'), '--log-format', 'json'], NO_KEYS);
      children.push(ingest);
      await ingest.waitForLine((l) => l.includes('"msg":"ingest running"'), 15_000);
      const edge = spawnCli(['serve', '--broker', redis.url, '--broker-prefix', market, '--host', '127.0.0.1', '--port', '0', '--log-format', 'json']);
      children.push(edge);
      const port = await waitForListening(edge);
      await waitFor('the edge to be ready', async () => ((await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200 ? true : undefined), 15_000);
      await waitFor('SOLUSDT in the edge\'s universe', async () => {
        const symbols = (await (await fetch(`http://127.0.0.1:${port}/api/symbols`)).json()) as Array<{ symbol: string }>;
        return symbols.some((s) => s.symbol === 'SOLUSDT') ? true : undefined;
      }, 15_000);
      assert.ok(!ingestStreams().has('solusdt@trade'), 'nobody wants SOLUSDT yet');
      const { ws } = await client(`ws://127.0.0.1:${port}/?symbols=SOLUSDT`);
      sockets.push(ws);
      await fake.upstream.until(() => ingestStreams().has('solusdt@trade'), 'the ingest subscribes SOLUSDT upstream', 15_000);
      assert.ok(ingestStreams().has('btcusdt@trade'), 'the always-on symbol stays');
    } finally {
      await redis.stop();
    }
  });
});
