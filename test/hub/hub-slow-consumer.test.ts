import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { type HubMetrics } from '../../src/hub/index.js';
import { FakeConnection, FakeFeed, hubOver, prices } from './fakes.js';

const SYMBOLS = ['AAPL', 'MSFT', 'TSLA'];
const HWM = 1000;
const HARD = 10_000;

function setup() {
  const events: string[] = [];
  const metrics: HubMetrics = {
    messagesSent: () => {},
    slowConsumer: (e) => events.push(e),
    feedTicks: () => {},
    pushLatency: () => {},
    clientConnected: () => {},
    clientDisconnected: () => {},
  };
  const feed = new FakeFeed(SYMBOLS);
  const hub = hubOver(
    feed,
    { appHeartbeatMs: 1000, highWaterMarkBytes: HWM, hardLimitBytes: HARD, slowCloseAfterMs: 2000 },
    metrics,
  );
  hub.start();
  const slow = new FakeConnection();
  const fast = new FakeConnection();
  hub.attach(slow, { symbols: ['*'], intervalMs: 0 });
  hub.attach(fast, { symbols: ['*'], intervalMs: 0 });
  slow.take();
  fast.take();
  return { feed, hub, slow, fast, events };
}

describe('slow consumers', { timeout: 10_000 }, () => {
  test('above the high-water mark: no writes, latest value per symbol kept, drain flushes them as one batch', async (t) => {
    t.mock.timers.enable({ apis: ['setInterval', 'setTimeout', 'Date'], now: 0 });
    const { feed, hub, slow, fast, events } = setup();
    slow.bufferedAmount = HWM + 1;
    feed.push(['AAPL', 101], ['MSFT', 201]);
    feed.push(['AAPL', 102]);
    feed.push(['AAPL', 103], ['TSLA', 51]);
    assert.deepEqual(slow.sent, [], 'nothing written while backlogged');
    assert.equal(fast.take().length, 3, 'other clients are not slowed down');
    assert.equal(hub.stats().slowClients, 1);
    assert.deepEqual(events, ['conflating']);
    t.mock.timers.tick(1000); // heartbeat skips the backlogged client
    assert.deepEqual(slow.sent, []);

    slow.bufferedAmount = 0;
    slow.emit('drain');
    const [batch, ...rest] = slow.take();
    assert.deepEqual(rest, []);
    assert.equal(batch.type, 'quotes');
    assert.deepEqual(prices(batch), [['AAPL', 103], ['MSFT', 201], ['TSLA', 51]]);
    assert.deepEqual(events, ['conflating', 'resumed']);
    assert.equal(hub.stats().slowClients, 0);

    feed.push(['MSFT', 202]);
    assert.deepEqual(slow.take().map(prices), [[['MSFT', 202]]], 'back on shared frames');
    assert.equal(slow.frames().length, 0);
    await hub.stop();
  });

  test('the sweep resumes a client that fell below the mark without a drain event', async (t) => {
    t.mock.timers.enable({ apis: ['setInterval', 'setTimeout', 'Date'], now: 0 });
    const { feed, hub, slow } = setup();
    slow.bufferedAmount = HWM + 1;
    feed.push(['AAPL', 101]);
    slow.bufferedAmount = HWM;
    t.mock.timers.tick(500);
    assert.deepEqual(slow.take().map(prices), [[['AAPL', 101]]]);
    assert.equal(hub.stats().slowClients, 0);
    await hub.stop();
  });

  test('a client that stays slow is closed with 1008 and terminated if the close stalls', async (t) => {
    t.mock.timers.enable({ apis: ['setInterval', 'setTimeout', 'Date'], now: 0 });
    const { feed, hub, slow, events } = setup();
    slow.bufferedAmount = HWM + 1;
    feed.push(['AAPL', 101]);
    t.mock.timers.tick(1500);
    assert.deepEqual(slow.closeCalls, []);
    t.mock.timers.tick(500); // slowCloseAfterMs reached
    assert.deepEqual(slow.closeCalls, [{ code: 1008, reason: 'slow consumer' }]);
    assert.deepEqual(events, ['conflating', 'closed']);
    feed.push(['AAPL', 102]);
    assert.deepEqual(slow.sent, [], 'nothing more for a client being closed');
    assert.equal(slow.terminated, false);
    t.mock.timers.tick(5000); // the close handshake never completes
    assert.equal(slow.terminated, true);
    slow.emit('close', 1006, '');
    assert.equal(hub.stats().clients, 1);
    assert.equal(hub.stats().slowClients, 0);
    await hub.stop();
  });

  test('a buffer above the hard limit is closed at once', async () => {
    const { feed, hub, slow } = setup();
    slow.bufferedAmount = HARD + 1;
    feed.push(['AAPL', 101]);
    assert.deepEqual(slow.closeCalls, [{ code: 1008, reason: 'slow consumer' }]);
    slow.emit('close', 1008, 'slow consumer');
    assert.deepEqual(hub.stats(), { clients: 1, symbols: 3, subscriptions: 3, slowClients: 0, groups: 1 });
    await hub.stop();
  });

  test('kept values are bounded by the subscription, however many ticks arrive', async () => {
    const { feed, hub, slow } = setup();
    slow.bufferedAmount = HWM + 1;
    for (let i = 0; i < 500; i++) feed.push(['AAPL', 100 + i / 100], ['MSFT', 200 + i / 100], ['TSLA', 50 + i / 100]);
    slow.bufferedAmount = 0;
    slow.emit('drain');
    const [batch, ...rest] = slow.take();
    assert.deepEqual(rest, []);
    assert.deepEqual(prices(batch), [['AAPL', 104.99], ['MSFT', 204.99], ['TSLA', 54.99]]);
    await hub.stop();
  });

  test('timed clients conflate too, and a snapshot supersedes kept values', async (t) => {
    t.mock.timers.enable({ apis: ['setInterval', 'setTimeout', 'Date'], now: 0 });
    const feed = new FakeFeed(SYMBOLS);
    const hub = hubOver(feed, { appHeartbeatMs: 0, highWaterMarkBytes: HWM, hardLimitBytes: HARD, slowCloseAfterMs: 60_000 });
    hub.start();
    const conn = new FakeConnection();
    hub.attach(conn, { symbols: ['AAPL', 'MSFT'], intervalMs: 100 });
    conn.take();
    conn.bufferedAmount = HWM + 1;
    feed.push(['AAPL', 101], ['MSFT', 201]);
    t.mock.timers.tick(100);
    feed.push(['AAPL', 102]);
    t.mock.timers.tick(100);
    assert.deepEqual(conn.sent, []);
    conn.receive({ type: 'snapshot', symbols: ['AAPL'], id: 1 });
    assert.deepEqual(conn.take().map(prices), [[['AAPL', 102]]], 'control replies are always written');
    conn.bufferedAmount = 0;
    conn.emit('drain');
    assert.deepEqual(conn.take().map(prices), [[['MSFT', 201]]], 'AAPL 102 was already in the snapshot');
    await hub.stop();
  });
});
