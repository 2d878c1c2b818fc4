/**
 * One market through Redis with real processes: `tickstream ingest` → a real redis-server → several
 * `tickstream serve --broker` edges, and the faults of docs/scaling.md (Redis killed, Redis absent at
 * start, ingest restarted, an edge killed).
 */
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { openClient, quotesOf, spawnCli, waitForListening, type SpawnedCli, type TestClient } from '../helpers/server.js';
import { Redis } from 'ioredis';
import { RedisServer } from '../helpers/redis.js';
import { waitFor } from '../helpers/events.js';

const children: SpawnedCli[] = [];
after(() => {
  for (const c of children) c.kill();
});

/** Each test is its own market in the shared Redis (--broker-prefix), so leftovers cannot mix in. */
let market = 'unset';
const newMarket = (): void => {
  market = `t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
};

function ingest(redis: RedisServer, ...extra: string[]): SpawnedCli {
  const cli = spawnCli(['ingest', '--broker', redis.url, '--broker-prefix', market, '--metrics-port', '0', '--host', '127.0.0.1', '--seed', '11', '--ticks-per-second', '400', '--log-format', 'json', ...extra]);
  children.push(cli);
  return cli;
}

async function ingestPort(cli: SpawnedCli): Promise<number> {
  const line = await cli.waitForLine((l) => l.includes('"msg":"ingest running"'), 15_000);
  return (JSON.parse(line) as { port: number }).port;
}

/** An edge; `ready` also waits until it holds the stream (/readyz 200), as a load balancer would. */
async function edge(redis: RedisServer, ready = true): Promise<{ cli: SpawnedCli; port: number }> {
  const cli = spawnCli(['serve', '--broker', redis.url, '--broker-prefix', market, '--port', '0', '--host', '127.0.0.1', '--log-format', 'json']);
  children.push(cli);
  const port = await waitForListening(cli);
  if (ready) await waitFor('the edge to be ready', async () => ((await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200 ? true : undefined));
  return { cli, port };
}

async function getJson(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}


/** Every (symbol, seq) a client saw within one epoch must be strictly increasing per symbol. */
function assertSeqsIncrease(client: TestClient, label: string): number {
  const last = new Map<string, number>();
  let count = 0;
  for (const { message } of client.received) {
    if (message.type === 'epoch') last.clear();
    if (message.type !== 'quotes' && message.type !== 'snapshot') continue;
    for (const q of quotesOf(message)) {
      const prev = last.get(q.symbol) ?? 0;
      assert.ok(q.seq > prev, `${label}: ${q.symbol} seq ${q.seq} after ${prev}`);
      last.set(q.symbol, q.seq);
      count++;
    }
  }
  return count;
}

async function quotesAfter(client: TestClient, from: number, count: number, timeoutMs = 10_000): Promise<void> {
  await waitFor(`${count} quotes`, async () => {
    let n = 0;
    for (const e of client.received.slice(from)) if (e.message.type === 'quotes') n += quotesOf(e.message).length;
    return n >= count ? true : undefined;
  }, timeoutMs);
}

describe('one ingest, Redis, three edges', { timeout: 120_000 }, () => {
  let redis: RedisServer;
  before(async () => {
    redis = await RedisServer.start();
  });
  beforeEach(newMarket);
  after(async () => {
    await redis.stop();
  });

  test('every edge serves the same epoch, seqs and prices; each client sees strictly increasing seqs', async () => {
    const feed = ingest(redis);
    await ingestPort(feed);
    const edges = await Promise.all([edge(redis), edge(redis), edge(redis)]);
    const clients = await Promise.all(edges.map((e) => openClient(`ws://127.0.0.1:${e.port}/?interval=0`)));
    const welcomes = await Promise.all(clients.map((c) => c.nextOfType('welcome')));
    assert.equal(new Set(welcomes.map((w) => w.epoch)).size, 1, 'one epoch on every edge');
    await Promise.all(clients.map((c) => quotesAfter(c, 0, 300)));
    const seen = clients.map((c) => {
      const m = new Map<string, number>();
      for (const e of c.received) if (e.message.type === 'quotes') for (const q of quotesOf(e.message)) m.set(`${q.symbol}#${q.seq}`, q.last);
      return m;
    });
    let common = 0;
    for (const [key, last] of seen[0]!) {
      for (const other of seen.slice(1)) {
        const v = other.get(key);
        if (v === undefined) continue;
        common++;
        assert.equal(v, last, `${key}: the same price on every edge`);
      }
    }
    assert.ok(common > 200, `the edges saw the same ticks (${common} compared)`);
    clients.forEach((c, i) => assertSeqsIncrease(c, `edge ${i}`));

    // An edge killed: its client is cut off, the others notice nothing.
    edges[0]!.cli.kill();
    await clients[0]!.closed;
    const marks = clients.map((c) => c.received.length);
    await quotesAfter(clients[1]!, marks[1]!, 50);
    await quotesAfter(clients[2]!, marks[2]!, 50);
    for (const i of [1, 2]) {
      const after = clients[i]!.received.slice(marks[i]!).map((e) => e.message.type);
      assert.deepEqual([...new Set(after)], ['quotes'], 'only quotes on the surviving edges');
    }
    await Promise.all(clients.slice(1).map((c) => c.close()));
    for (const e of edges.slice(1)) e.cli.child.kill('SIGTERM');
    feed.child.kill('SIGTERM');
    assert.equal(await feed.exited, 0);
    for (const e of edges.slice(1)) assert.equal(await e.cli.exited, 0);
  });

  test('Redis killed and restarted: edges say so, clients stay connected, and every symbol is current again within 2 s', async () => {
    const feed = ingest(redis);
    await ingestPort(feed);
    const { cli, port } = await edge(redis);
    const client = await openClient(`ws://127.0.0.1:${port}/?interval=0`);
    await client.nextOfType('welcome');
    await quotesAfter(client, 0, 50);

    await redis.kill();
    const down = await waitFor('503 from /healthz', async () => {
      const h = await getJson(`http://127.0.0.1:${port}/healthz`);
      return h.status === 503 ? h : undefined;
    });
    assert.match(String(down.body.reason), /broker unreachable/);
    const ready = await getJson(`http://127.0.0.1:${port}/readyz`);
    assert.deepEqual([ready.status, ready.body.ready], [503, false]);
    await client.next((m) => m.type === 'status' && m.feed === 'stale', 10_000);

    await redis.restart();
    const back = Date.now();
    await waitFor('/healthz 200 again', async () => ((await getJson(`http://127.0.0.1:${port}/healthz`)).status === 200 ? true : undefined), 5_000);
    // Every symbol is current: the edge's cache holds the ingest's latest offset (or beyond).
    const mark = client.received.length;
    await quotesAfter(client, mark, 20, 5_000);
    const recovered = Date.now() - back;
    assert.ok(recovered < 2_000, `served again ${recovered} ms after Redis was back`);
    await client.next((m) => m.type === 'status' && m.feed === 'up', 5_000);
    assert.equal(client.received.some((e) => e.message.type === 'epoch'), false, 'same epoch: the ingest never restarted');
    assertSeqsIncrease(client, 'through the outage');
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    assert.match(metrics, /^tickstream_broker_reconnects_total [1-9]/m);

    await client.close();
    cli.child.kill('SIGTERM');
    feed.child.kill('SIGTERM');
    assert.equal(await cli.exited, 0);
    assert.equal(await feed.exited, 0);
  });

  test('the ingest restarted: clients see the feed go down, then the new epoch with a fresh snapshot', async () => {
    const first = ingest(redis);
    await ingestPort(first);
    const { cli, port } = await edge(redis);
    const client = await openClient(`ws://127.0.0.1:${port}/?symbols=AAPL,MSFT&interval=0`);
    const welcome = await client.nextOfType('welcome');
    await quotesAfter(client, 0, 5);
    first.child.kill('SIGKILL'); // no goodbye: the edge must notice the silence
    await client.next((m) => m.type === 'status' && m.feed === 'stale', 10_000);
    const second = ingest(redis);
    await ingestPort(second);
    const notice = await client.nextOfType('epoch', 10_000);
    assert.equal(notice.previous, welcome.epoch);
    assert.notEqual(notice.epoch, welcome.epoch);
    const snapshot = await client.next(() => true);
    assert.equal(snapshot.type, 'snapshot', 'the snapshot follows the epoch notice at once');
    assert.deepEqual(quotesOf(snapshot).map((q) => q.symbol).sort(), ['AAPL', 'MSFT']);
    await client.next((m) => m.type === 'status' && m.feed === 'up', 5_000);
    assertSeqsIncrease(client, 'across epochs');

    // A graceful ingest stop is announced at once.
    second.child.kill('SIGTERM');
    await client.next((m) => m.type === 'status' && m.feed === 'down' && m.reason === 'ingest stopped', 5_000);
    assert.equal(await second.exited, 0);
    await client.close();
    cli.child.kill('SIGTERM');
    assert.equal(await cli.exited, 0);
  });

  test('a client that left one edge recovers on another with since=EPOCH:OFFSET, without a gap', async () => {
    const feed = ingest(redis);
    await ingestPort(feed);
    const [a, b] = await Promise.all([edge(redis), edge(redis)]);
    const first = await openClient(`ws://127.0.0.1:${a.port}/?symbols=AAPL,MSFT,600519.SH&interval=0`);
    const welcome = await first.nextOfType('welcome');
    await quotesAfter(first, 0, 30);
    await first.close();
    const seen = first.received.filter((e) => e.message.type === 'quotes' || e.message.type === 'snapshot').map((e) => e.message);
    const since = `${welcome.epoch as string}:${seen.at(-1)!.offset as number}`;
    // Meanwhile the market moves on; then the client comes back, on the other edge.
    const watcher = await openClient(`ws://127.0.0.1:${b.port}/?symbols=AAPL&interval=0`);
    await quotesAfter(watcher, 0, 10);
    await watcher.close();
    const again = await openClient(`ws://127.0.0.1:${b.port}/?symbols=AAPL,MSFT,600519.SH&interval=0&since=${since}`);
    const snapshot = await again.nextOfType('snapshot');
    assert.equal(snapshot.recovered, true);
    await quotesAfter(again, 0, 20);
    const seqs = new Map<string, number[]>();
    for (const m of [...seen, ...again.received.map((e) => e.message).filter((m) => m.type === 'quotes' || m.type === 'snapshot')]) {
      for (const q of quotesOf(m)) seqs.set(q.symbol, [...(seqs.get(q.symbol) ?? []), q.seq]);
    }
    for (const [symbol, list] of seqs) {
      for (let i = 1; i < list.length; i++) assert.equal(list[i], list[i - 1]! + 1, `${symbol}: seq ${list[i - 1]} then ${list[i]} across the edges`);
    }
    await again.close();
    for (const e of [a, b]) e.cli.child.kill('SIGTERM');
    feed.child.kill('SIGTERM');
    assert.equal(await feed.exited, 0);
  });
});

describe('Redis not running when the edge and the ingest start', { timeout: 60_000 }, () => {
  test('both start anyway, report 503, and serve as soon as Redis is up', async () => {
    const redis = await RedisServer.notRunning();
    newMarket();
    try {
      const feed = ingest(redis);
      const metricsPort = await ingestPort(feed);
      const { cli, port } = await edge(redis, false);
      assert.equal((await getJson(`http://127.0.0.1:${port}/healthz`)).status, 503);
      assert.equal((await getJson(`http://127.0.0.1:${metricsPort}/healthz`)).status, 503);
      const client = await openClient(`ws://127.0.0.1:${port}/?interval=0`);
      const welcome = await client.nextOfType('welcome');
      assert.equal(welcome.epoch, '', 'no stream yet');
      await redis.restart();
      const notice = await client.nextOfType('epoch', 10_000);
      assert.match(String(notice.epoch), /^[0-9a-z]+-[0-9a-f]{6}$/);
      assert.equal((await client.next(() => true)).type, 'snapshot');
      await quotesAfter(client, 0, 20);
      assert.equal((await getJson(`http://127.0.0.1:${port}/healthz`)).status, 200);
      assert.equal((await getJson(`http://127.0.0.1:${metricsPort}/healthz`)).status, 200);
      await client.close();
      cli.child.kill('SIGTERM');
      feed.child.kill('SIGTERM');
      assert.equal(await cli.exited, 0);
      assert.equal(await feed.exited, 0);
    } finally {
      await redis.stop();
    }
  });

  test('a bad broker URL is a usage error that never shows the password', { timeout: 15_000 }, async () => {
    for (const args of [['serve', '--broker', 'redis://user:hunter2@127.0.0.1:99999'], ['ingest', '--broker', 'redis://:hunter2@host:port']]) {
      const cli = spawnCli(args);
      children.push(cli);
      assert.equal(await cli.exited, 2, args.join(' '));
      assert.match(cli.stderr(), /broker/);
      assert.doesNotMatch(cli.stderr() + cli.lines.join('\n'), /hunter2/);
    }
    const cli = spawnCli(['ingest']);
    assert.equal(await cli.exited, 2);
    assert.match(cli.stderr(), /ingest needs --broker/);
  });

  test('a Redis that refuses the password is a usage error (exit 2, one line), not an endless retry', { timeout: 20_000 }, async () => {
    const redis = await RedisServer.start();
    const admin = new Redis(redis.port, '127.0.0.1');
    try {
      await admin.config('SET', 'requirepass', 'right-one');
      const wrong = `redis://:hunter2@127.0.0.1:${redis.port}`;
      for (const args of [['serve', '--broker', wrong, '--port', '0'], ['ingest', '--broker', wrong, '--metrics-port', '0'], ['serve', '--broker', redis.url, '--port', '0']]) {
        const cli = spawnCli(args);
        children.push(cli);
        assert.equal(await cli.exited, 2, args.join(' '));
        assert.match(cli.stderr(), /^tickstream: --broker: Redis at redis:\/\/.*127\.0\.0\.1:\d+ refused the connection: (WRONGPASS|NOAUTH)/m);
        assert.doesNotMatch(cli.stderr() + cli.lines.join('\n'), /hunter2/);
      }
    } finally {
      admin.disconnect();
      await redis.stop();
    }
  });
});

describe('bars through Redis', { timeout: 90_000 }, () => {
  let redis: RedisServer;
  before(async () => {
    redis = await RedisServer.start();
  });
  after(async () => {
    await redis.stop();
  });

  type Bar = { t: number; o: number; h: number; l: number; c: number; v: number };
  async function bars(port: number, tf: string): Promise<Bar[]> {
    const r = await getJson(`http://127.0.0.1:${port}/api/bars?symbol=AAPL&tf=${tf}&limit=3600`);
    assert.equal(r.status, 200);
    return r.body.bars as Bar[];
  }

  test('an edge started later serves the day the ingest saved, and both edges agree bar for bar', async () => {
    newMarket();
    const feed = ingest(redis);
    await ingestPort(feed);
    const first = await edge(redis);
    // The ingest saves bars once a second: wait until it has, then start a second edge.
    const admin = new Redis(redis.url);
    try {
      await waitFor('bars saved in Redis', async () => ((await admin.keys(`${market}:bars:*:open`)).length > 0 ? true : undefined));
    } finally {
      admin.disconnect();
    }
    const second = await edge(redis);
    const secondStarted = Date.now();
    for (const tf of ['1m', '1s'] as const) {
      const [a, b] = [await bars(first.port, tf), await bars(second.port, tf)];
      assert.ok(b.length >= (tf === '1m' ? 300 : 600), `${tf}: the late edge has the history (${b.length} bars)`);
      // Bars that ended well before the second edge started come from what the ingest saved: identical.
      // (The bar in progress at its snapshot may differ: docs/history.md, many processes.)
      const byTime = new Map(a.map((bar) => [bar.t, bar]));
      const length = tf === '1m' ? 60_000 : 1_000;
      const closedBefore = b.filter((bar) => bar.t + length < secondStarted - 3000);
      assert.ok(closedBefore.length > 100, `${tf}: ${closedBefore.length} bars to compare`);
      for (const bar of closedBefore) assert.deepEqual(bar, byTime.get(bar.t), `${tf} bar at ${bar.t}`);
    }
    // Bars both edges built live from the stream are identical too: wait until both have closed at
    // least two 1 s bars that started after the second edge did (however slow the machine is).
    const { a, b, live } = await waitFor('two live 1 s bars on both edges', async () => {
      const [a, b] = [await bars(first.port, '1s'), await bars(second.port, '1s')];
      const live = b.filter((bar) => bar.t > secondStarted + 1000 && bar.t < Math.min(a.at(-1)!.t, b.at(-1)!.t));
      return live.length >= 2 ? { a, b, live } : undefined;
    }, 20_000, 200);
    assert.ok(b.length > 0);
    const byTime = new Map(a.map((bar) => [bar.t, bar]));
    for (const bar of live) assert.deepEqual(bar, byTime.get(bar.t), `live 1s bar at ${bar.t}`);
  });
});
