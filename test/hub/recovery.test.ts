// Recovery without gaps: a client reconnecting with `since` gets exactly what it missed for its
// subscription (every tick at cadence 0, the latest per symbol above 0), or a full snapshot with
// recovered:false when that cannot be exact. Never a partial recovery.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { StreamQuote } from '../../src/broker/stream.js';
import { RecoveryWindow } from '../../src/hub/recovery-window.js';
import { FakeConnection, FakeFeed, hubOver, prices } from './fakes.js';

const SYMBOLS = ['AAPL', 'MSFT', 'TSLA'];

function setup(options: { recoveryMaxQuotes?: number } = {}) {
  const feed = new FakeFeed(SYMBOLS);
  const hub = hubOver(feed, { appHeartbeatMs: 0, ...options });
  hub.start();
  return { feed, hub };
}

describe('recovery with since=EPOCH:OFFSET', { timeout: 10_000 }, () => {
  test('every quotes and snapshot message carries the stream offset', async () => {
    const { feed, hub } = setup();
    const conn = new FakeConnection();
    hub.attach(conn, { symbols: ['AAPL'], intervalMs: 0 });
    const [, snapshot] = conn.take();
    assert.equal(snapshot.offset, hub.cache.offset);
    assert.equal(snapshot.recovered, undefined, 'no since, no recovered member');
    feed.push(['AAPL', 101], ['MSFT', 50]);
    const [push] = conn.take();
    assert.equal(push.offset, hub.cache.offset, 'the offset of the batch, MSFT included');
    await hub.stop();
  });

  test('cadence 0: exactly the missed ticks of the subscription, in order, then live', async () => {
    const { feed, hub } = setup();
    const first = new FakeConnection();
    hub.attach(first, { symbols: ['AAPL', 'MSFT'], intervalMs: 0 });
    feed.push(['AAPL', 101]);
    const seen = first.take().at(-1);
    first.emit('close', 1006, '');
    const missed = [
      ...feed.push(['AAPL', 102], ['TSLA', 7]),
      ...feed.push(['MSFT', 51], ['AAPL', 103]),
      ...feed.push(['AAPL', 104]),
    ];
    const again = new FakeConnection();
    hub.attach(again, { symbols: ['AAPL', 'MSFT'], intervalMs: 0, since: { epoch: hub.cache.epoch, offset: seen.offset } });
    const [welcome, snapshot, ...rest] = again.take();
    assert.equal(welcome.type, 'welcome');
    assert.equal(snapshot.recovered, true);
    assert.deepEqual(prices(snapshot), prices({ quotes: missed.filter((q) => q.symbol !== 'TSLA') }));
    assert.deepEqual(snapshot.quotes.map((q: StreamQuote) => q.seq), [3, 2, 4, 5]);
    assert.equal(snapshot.offset, hub.cache.offset);
    assert.deepEqual(rest, []);
    feed.push(['AAPL', 105]);
    assert.deepEqual(prices(again.take()[0]), [['AAPL', 105]]);
    await hub.stop();
  });

  test('cadence > 0: the latest value of each changed symbol', async () => {
    const { feed, hub } = setup();
    const first = new FakeConnection();
    hub.attach(first, { symbols: ['*'], intervalMs: 0 });
    const offset = first.take().at(-1).offset;
    feed.push(['AAPL', 102], ['TSLA', 7], ['AAPL', 103]);
    const again = new FakeConnection();
    hub.attach(again, { symbols: ['*'], intervalMs: 1000, since: { epoch: hub.cache.epoch, offset } });
    const snapshot = again.take()[1];
    assert.equal(snapshot.recovered, true);
    assert.deepEqual(prices(snapshot), [['TSLA', 7], ['AAPL', 103]]);
    await hub.stop();
  });

  test('nothing missed: an empty recovered snapshot', async () => {
    const { hub } = setup();
    const again = new FakeConnection();
    hub.attach(again, { symbols: ['AAPL'], intervalMs: 0, since: { epoch: hub.cache.epoch, offset: hub.cache.offset } });
    const snapshot = again.take()[1];
    assert.deepEqual([snapshot.recovered, snapshot.quotes], [true, []]);
    await hub.stop();
  });

  test('older than the window, another epoch, or an offset from the future: a full snapshot, recovered:false', async () => {
    const { feed, hub } = setup({ recoveryMaxQuotes: 3 });
    const start = hub.cache.offset;
    feed.push(['AAPL', 101], ['AAPL', 102], ['AAPL', 103], ['AAPL', 104]);
    for (const since of [
      { epoch: hub.cache.epoch, offset: start }, // 4 quotes since, the window holds 3
      { epoch: 'another-epoch', offset: hub.cache.offset },
      { epoch: hub.cache.epoch, offset: hub.cache.offset + 10 },
    ]) {
      const conn = new FakeConnection();
      hub.attach(conn, { symbols: ['AAPL', 'MSFT'], intervalMs: 0, since });
      const snapshot = conn.take()[1];
      assert.equal(snapshot.recovered, false, JSON.stringify(since));
      assert.deepEqual(prices(snapshot), [['AAPL', 104], ['MSFT', 100]], 'the full snapshot of the subscription');
    }
    // Just inside the window: exact.
    const conn = new FakeConnection();
    hub.attach(conn, { symbols: ['AAPL'], intervalMs: 0, since: { epoch: hub.cache.epoch, offset: start + 1 } });
    assert.deepEqual(prices(conn.take()[1]), [['AAPL', 102], ['AAPL', 103], ['AAPL', 104]]);
    await hub.stop();
  });
});

describe('RecoveryWindow', () => {
  const q = (offset: number): StreamQuote => ({ symbol: 'S', last: offset, bid: 0, ask: 0, open: 0, high: 0, low: 0, prevClose: 0, change: 0, changePct: 0, volume: 0, ts: 0, seq: offset, offset });

  test('trims by age and by count; floor moves with what was dropped', () => {
    const window = new RecoveryWindow({ maxAgeMs: 1000, maxQuotes: 5 });
    window.reset('e', 0);
    window.append([q(1), q(2)], 0);
    window.append([q(3)], 600);
    assert.deepEqual(window.since('e', 0, 700)?.map((x) => x.offset), [1, 2, 3]);
    assert.equal(window.since('e', 0, 1100), null, 'quotes 1 and 2 aged out: offset 0 is no longer exact');
    assert.deepEqual(window.since('e', 2, 1100)?.map((x) => x.offset), [3]);
    window.append([q(4), q(5), q(6), q(7), q(8), q(9)], 1200);
    assert.equal(window.size, 5);
    assert.equal(window.since('e', 3, 1200), null);
    assert.deepEqual(window.since('e', 4, 1200)?.map((x) => x.offset), [5, 6, 7, 8, 9]);
  });

  test('binary search over thousands of quotes; compaction keeps order', () => {
    const window = new RecoveryWindow({ maxAgeMs: 60_000, maxQuotes: 3000 });
    window.reset('e', 0);
    for (let i = 1; i <= 10_000; i++) window.append([q(i)], i);
    assert.equal(window.size, 3000);
    assert.deepEqual(window.since('e', 9_997, 10_000)?.map((x) => x.offset), [9_998, 9_999, 10_000]);
    assert.equal(window.since('e', 6_999, 10_000), null);
    assert.equal(window.since('e', 7_000, 10_000)?.length, 3000);
  });

  test('a window of 0 recovers nothing but "nothing missed"', () => {
    const window = new RecoveryWindow({ maxAgeMs: 0, maxQuotes: 0 });
    window.reset('e', 0);
    window.append([q(1)], 0);
    assert.equal(window.since('e', 0, 0), null);
    assert.deepEqual(window.since('e', 1, 0), []);
  });
});
