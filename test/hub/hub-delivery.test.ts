import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { type HubOptions } from '../../src/hub/index.js';
import { FakeConnection, FakeFeed, hubOver, prices } from './fakes.js';

const SYMBOLS = ['AAPL', 'MSFT', 'TSLA', '600519.SH'];

function setup(options: Partial<HubOptions> = {}) {
  const feed = new FakeFeed(SYMBOLS);
  const hub = hubOver(feed, { appHeartbeatMs: 0, ...options });
  hub.start();
  const attach = (symbols: string[] = ['*'], intervalMs = 0, url = '/') => {
    const conn = new FakeConnection(url);
    hub.attach(conn, { symbols, intervalMs });
    return conn;
  };
  return { feed, hub, attach };
}

describe('hub delivery', { timeout: 10_000 }, () => {
  test('welcome, then snapshot of the initial subscription, then updates', async () => {
    const { feed, hub, attach } = setup({ defaultIntervalMs: 1000 });
    const conn = attach(['AAPL', 'MSFT'], 0);
    feed.push(['AAPL', 101], ['TSLA', 50]);
    const [welcome, snapshot, update, ...rest] = conn.messages();
    assert.deepEqual(welcome, {
      type: 'welcome', server: 'tickstream', version: '0.1.0', epoch: hub.cache.epoch, feed: { state: 'up' },
      interval: 0, heartbeat: 0, symbols: ['AAPL', 'MSFT'],
    });
    assert.match(String(welcome.epoch), /^[0-9a-z]+-[0-9a-f]{6}$/);
    assert.equal(snapshot.type, 'snapshot');
    assert.equal(snapshot.id, undefined);
    assert.deepEqual(prices(snapshot), [['AAPL', 100], ['MSFT', 100]]);
    assert.equal(update.type, 'quotes');
    assert.deepEqual(prices(update), [['AAPL', 101]], 'TSLA is not subscribed');
    assert.deepEqual(rest, []);
    await hub.stop();
  });

  test('"*" subscription gets every symbol, in snapshot and updates', async () => {
    const { feed, hub, attach } = setup();
    const conn = attach(['*']);
    feed.push(['AAPL', 101], ['600519.SH', 1700]);
    const [welcome, snapshot, update] = conn.messages();
    assert.deepEqual(welcome.symbols, ['*']);
    assert.deepEqual(snapshot.quotes.map((q: { symbol: string }) => q.symbol), SYMBOLS);
    assert.deepEqual(prices(update), [['AAPL', 101], ['600519.SH', 1700]]);
    await hub.stop();
  });

  test('interval 0 delivers each feed batch as one message, repeats included', async () => {
    const { feed, hub, attach } = setup();
    const conn = attach(['AAPL', 'TSLA'], 0);
    conn.take();
    feed.push(['AAPL', 101], ['AAPL', 102], ['MSFT', 1]);
    feed.push(['TSLA', 51]);
    feed.push(['MSFT', 2]);
    const got = conn.take();
    assert.equal(got.length, 2);
    assert.deepEqual(prices(got[0]), [['AAPL', 101], ['AAPL', 102]]);
    assert.deepEqual(prices(got[1]), [['TSLA', 51]]);
    await hub.stop();
  });

  test('every quote carries seq and ts; seq strictly increases per symbol; stale ticks are dropped', async () => {
    const { feed, hub, attach } = setup();
    const conn = attach(['*'], 0);
    for (let i = 0; i < 20; i++) feed.push(['AAPL', 100 + i / 100], ['MSFT', 200 - i / 100]);
    const stale = { ...feed.snapshot()[0]!, last: 1 }; // AAPL with its current seq again
    feed.pushRaw([stale]);
    const lastSeq = new Map<string, number>();
    let count = 0;
    for (const msg of conn.messages().filter((m) => m.type === 'quotes' || m.type === 'snapshot')) {
      for (const q of msg.quotes) {
        assert.equal(typeof q.ts, 'number');
        assert.ok(q.seq > (lastSeq.get(q.symbol) ?? 0), `${q.symbol} seq ${q.seq} after ${lastSeq.get(q.symbol)}`);
        lastSeq.set(q.symbol, q.seq);
        assert.notEqual(q.last, 1, 'the stale tick must not be forwarded');
        count++;
      }
    }
    assert.equal(count, SYMBOLS.length + 40);
    assert.equal(hub.snapshot(['AAPL'])[0]!.last, 100.19, 'cache keeps the newest value');
    await hub.stop();
  });

  test('interval N pushes one batch per period with the latest value of each changed symbol', async (t) => {
    t.mock.timers.enable({ apis: ['setInterval', 'setTimeout', 'Date'], now: 0 });
    const { feed, hub, attach } = setup();
    const conn = attach(['AAPL', 'MSFT', 'TSLA'], 1000);
    conn.take();
    t.mock.timers.tick(200);
    feed.push(['AAPL', 101], ['MSFT', 201]);
    feed.push(['AAPL', 102]);
    feed.push(['AAPL', 103], ['600519.SH', 1700]);
    assert.deepEqual(conn.take(), [], 'nothing before the boundary');
    t.mock.timers.tick(800); // t = 1000: aligned boundary
    const [batch, ...more] = conn.take();
    assert.deepEqual(more, []);
    assert.deepEqual(prices(batch), [['AAPL', 103], ['MSFT', 201]]);
    t.mock.timers.tick(1000); // nothing changed: nothing sent
    assert.deepEqual(conn.take(), []);
    feed.push(['TSLA', 60]);
    t.mock.timers.tick(1000);
    assert.deepEqual(conn.take().map(prices), [[['TSLA', 60]]]);
    await hub.stop();
  });

  test('timed clients of the same cadence flush together on aligned boundaries', async (t) => {
    t.mock.timers.enable({ apis: ['setInterval', 'setTimeout', 'Date'], now: 0 });
    const { feed, hub, attach } = setup();
    t.mock.timers.tick(130);
    const early = attach(['AAPL'], 250);
    t.mock.timers.tick(60); // t = 190
    const late = attach(['AAPL'], 250);
    early.take();
    late.take();
    feed.push(['AAPL', 101]);
    t.mock.timers.tick(59); // t = 249
    assert.equal(early.sent.length + late.sent.length, 0);
    t.mock.timers.tick(1); // t = 250
    assert.equal(early.sent.length, 1);
    assert.equal(late.sent.length, 1);
    assert.equal(early.frames()[0], late.frames()[0], 'one shared frame for the cadence group');
    await hub.stop();
  });

  test('identical subscription sets share the same PreparedMessage; different sets do not', async (t) => {
    t.mock.timers.enable({ apis: ['setInterval', 'setTimeout', 'Date'], now: 0 });
    const { feed, hub, attach } = setup();
    const a = attach(['MSFT', 'AAPL'], 0);
    const b = attach(['AAPL', 'MSFT'], 0); // same set, other order
    const c = attach(['AAPL'], 0);
    const all1 = attach(['*'], 0);
    const all2 = attach(['*'], 0);
    const timed1 = attach(['AAPL', 'MSFT'], 1000);
    const timed2 = attach(['MSFT', 'AAPL'], 1000);
    for (const conn of [a, b, c, all1, all2, timed1, timed2]) conn.sent.length = 0;
    feed.push(['AAPL', 101], ['TSLA', 40]);
    const [fa] = a.frames();
    assert.ok(fa);
    assert.equal(b.frames()[0], fa, 'same set → same frame object');
    assert.notEqual(c.frames()[0], fa);
    assert.equal(all1.frames()[0], all2.frames()[0]);
    assert.notEqual(all1.frames()[0], fa);
    t.mock.timers.tick(1000);
    assert.ok(timed1.frames()[0]);
    assert.equal(timed1.frames()[0], timed2.frames()[0]);
    assert.equal(hub.stats().groups, 4);
    await hub.stop();
  });

  test('a client joining a cadence group mid-period does not get values it already has', async (t) => {
    t.mock.timers.enable({ apis: ['setInterval', 'setTimeout', 'Date'], now: 0 });
    const { feed, hub, attach } = setup();
    const first = attach(['AAPL', 'MSFT'], 1000);
    feed.push(['AAPL', 101], ['MSFT', 201]);
    const second = attach(['AAPL', 'MSFT'], 1000); // its snapshot already holds AAPL 101, MSFT 201
    assert.deepEqual(prices(second.messages()[1]), [['AAPL', 101], ['MSFT', 201]]);
    second.take();
    feed.push(['MSFT', 202]);
    t.mock.timers.tick(1000);
    assert.deepEqual(prices(first.messages().at(-1)), [['AAPL', 101], ['MSFT', 202]]);
    assert.deepEqual(second.take().map(prices), [[['MSFT', 202]]]);
    feed.push(['AAPL', 102]);
    t.mock.timers.tick(1000);
    assert.equal(second.frames().length, 1, 'back on the shared frame after one personal push');
    assert.equal(second.frames()[0], first.frames().at(-1));
    await hub.stop();
  });

  test('interval command: ack, then the new cadence; updates pending at the old cadence are not lost', async (t) => {
    t.mock.timers.enable({ apis: ['setInterval', 'setTimeout', 'Date'], now: 0 });
    const { feed, hub, attach } = setup();
    const conn = attach(['AAPL'], 1000);
    conn.take();
    feed.push(['AAPL', 101]);
    conn.receive({ type: 'interval', interval: 0, id: 'i1' });
    const [ack, pending] = conn.take();
    assert.deepEqual(ack, { type: 'interval', id: 'i1', interval: 0 });
    assert.deepEqual(prices(pending), [['AAPL', 101]]);
    feed.push(['AAPL', 102]);
    assert.deepEqual(conn.take().map(prices), [[['AAPL', 102]]], 'interval 0: immediately');
    conn.receive({ type: 'interval', interval: 500 });
    assert.deepEqual(conn.take(), [{ type: 'interval', interval: 500 }]);
    feed.push(['AAPL', 103]);
    feed.push(['AAPL', 104]);
    t.mock.timers.tick(500);
    assert.deepEqual(conn.take().map(prices), [[['AAPL', 104]]]);
    await hub.stop();
  });

  test('app heartbeat: one shared frame per beat for every client', async (t) => {
    t.mock.timers.enable({ apis: ['setInterval', 'setTimeout', 'Date'], now: 0 });
    const { hub, attach } = setup({ appHeartbeatMs: 15_000 });
    const a = attach(['AAPL'], 0);
    const b = attach([], 1000);
    assert.equal(a.messages()[0].heartbeat, 15_000);
    a.take();
    b.take();
    t.mock.timers.tick(15_000);
    const [beat] = a.frames();
    assert.ok(beat);
    assert.equal(b.frames()[0], beat);
    assert.deepEqual(a.messages(), [{ type: 'heartbeat', ts: 15_000 }]);
    await hub.stop();
    t.mock.timers.tick(15_000);
    assert.equal(a.sent.length, 1, 'no beats after stop');
  });

  test('closed clients are forgotten; stats and metrics follow', async () => {
    const events: string[] = [];
    const sent: number[] = [];
    const feed = new FakeFeed(SYMBOLS);
    const hub = hubOver(feed, { appHeartbeatMs: 0 }, {
      messagesSent: (count) => sent.push(count),
      slowConsumer: (e) => events.push('slow:' + e),
      feedTicks: (n) => events.push('ticks:' + n),
      pushLatency: (s) => assert.ok(s >= 0),
      clientConnected: () => events.push('connected'),
      clientDisconnected: () => events.push('disconnected'),
    });
    hub.start();
    const a = new FakeConnection();
    const b = new FakeConnection();
    hub.attach(a, { symbols: ['*'], intervalMs: 0 });
    hub.attach(b, { symbols: ['AAPL', 'MSFT'], intervalMs: 0 });
    assert.deepEqual(hub.stats(), { clients: 2, symbols: SYMBOLS.length, subscriptions: SYMBOLS.length + 2, slowClients: 0, groups: 2 });
    b.emit('close', 1000, '');
    feed.push(['AAPL', 101]);
    assert.equal(b.messages().filter((m) => m.type === 'quotes').length, 0);
    assert.deepEqual(hub.stats(), { clients: 1, symbols: SYMBOLS.length, subscriptions: SYMBOLS.length, slowClients: 0, groups: 1 });
    // The feed's opening quotes (one per symbol) are its first batch.
    assert.deepEqual(events, [`ticks:${SYMBOLS.length}`, 'connected', 'connected', 'disconnected', 'ticks:1']);
    assert.deepEqual(sent, [1, 1, 1, 1, 1], 'welcome + snapshot per client, then one update');
    await hub.stop();
    assert.equal(feed.stopped, true);
  });
});
