import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { type HubOptions } from '../../src/hub/index.js';
import { FakeConnection, FakeFeed, hubOver, prices } from './fakes.js';

const SYMBOLS = ['AAPL', 'MSFT', 'TSLA', '600519.SH'];

function setup(symbols: string[] = [], options: Partial<HubOptions> = {}) {
  const feed = new FakeFeed(SYMBOLS);
  const hub = hubOver(feed, { appHeartbeatMs: 0, ...options });
  hub.start();
  const conn = new FakeConnection();
  hub.attach(conn, { symbols, intervalMs: 0 });
  conn.take(); // welcome + snapshot
  return { feed, hub, conn };
}

describe('hub commands', { timeout: 10_000 }, () => {
  test('subscribe: ack with the whole set, snapshot of the new symbols only, then updates', async () => {
    const { feed, hub, conn } = setup(['AAPL']);
    feed.push(['AAPL', 101]);
    conn.take();
    conn.receive({ type: 'subscribe', symbols: ['MSFT', 'AAPL', '600519.SH'], id: 1 });
    const [ack, snapshot, ...rest] = conn.take();
    assert.deepEqual(ack, { type: 'subscriptions', id: 1, symbols: ['AAPL', 'MSFT', '600519.SH'] });
    assert.equal(snapshot.type, 'snapshot');
    assert.equal(snapshot.id, 1);
    assert.deepEqual(prices(snapshot), [['MSFT', 100], ['600519.SH', 100]]);
    assert.deepEqual(rest, []);
    feed.push(['MSFT', 201], ['TSLA', 5]);
    assert.deepEqual(conn.take().map(prices), [[['MSFT', 201]]]);
    await hub.stop();
  });

  test('subscribe with unknown symbols subscribes the known ones and reports the rest', async () => {
    const { hub, conn } = setup([]);
    conn.receive({ type: 'subscribe', symbols: ['aapl', 'NOPE', 'ZZZ'], id: 'x' });
    const [ack, snapshot, error] = conn.take();
    assert.deepEqual(ack, { type: 'subscriptions', id: 'x', symbols: ['AAPL'] }, 'lower case resolves to the listed symbol');
    assert.deepEqual(prices(snapshot), [['AAPL', 100]]);
    assert.equal(error.type, 'error');
    assert.equal(error.id, 'x');
    assert.equal(error.code, 'unknown_symbol');
    assert.deepEqual(error.symbols, ['NOPE', 'ZZZ']);
    assert.equal(conn.closeCalls.length, 0);
    await hub.stop();
  });

  test('unsubscribe stops updates and acks the whole remaining set', async () => {
    const { feed, hub, conn } = setup(['AAPL', 'MSFT']);
    conn.receive({ type: 'unsubscribe', symbols: ['AAPL'], id: 2 });
    assert.deepEqual(conn.take(), [{ type: 'subscriptions', id: 2, symbols: ['MSFT'] }]);
    feed.push(['AAPL', 101], ['MSFT', 201]);
    assert.deepEqual(conn.take().map(prices), [[['MSFT', 201]]]);
    conn.receive({ type: 'unsubscribe', symbols: ['MSFT'] });
    assert.deepEqual(conn.take(), [{ type: 'subscriptions', symbols: [] }]);
    feed.push(['AAPL', 102], ['MSFT', 202]);
    assert.deepEqual(conn.take(), []);
    assert.equal(hub.stats().groups, 0);
    await hub.stop();
  });

  test('"*": subscribe all snapshots only what was missing; unsubscribe "*" clears; unsubscribe one leaves the rest', async () => {
    const { feed, hub, conn } = setup(['AAPL']);
    conn.receive({ type: 'subscribe', symbols: ['*'], id: 3 });
    const [ack, snapshot] = conn.take();
    assert.deepEqual(ack.symbols, ['*']);
    assert.deepEqual(snapshot.quotes.map((q: { symbol: string }) => q.symbol), ['MSFT', 'TSLA', '600519.SH']);
    conn.receive({ type: 'subscribe', symbols: ['MSFT'], id: 4 });
    const [ack2, snap2] = conn.take();
    assert.deepEqual(ack2.symbols, ['*'], 'already subscribed to everything');
    assert.deepEqual(snap2.quotes, []);
    conn.receive({ type: 'unsubscribe', symbols: ['TSLA'], id: 5 });
    assert.deepEqual(conn.take()[0].symbols, ['AAPL', 'MSFT', '600519.SH']);
    feed.push(['TSLA', 1], ['AAPL', 101]);
    assert.deepEqual(conn.take().map(prices), [[['AAPL', 101]]]);
    conn.receive({ type: 'unsubscribe', symbols: ['*'], id: 6 });
    assert.deepEqual(conn.take(), [{ type: 'subscriptions', id: 6, symbols: [] }]);
    feed.push(['AAPL', 102]);
    assert.deepEqual(conn.take(), []);
    await hub.stop();
  });

  test('snapshot command: current subscriptions by default, or the listed symbols', async () => {
    const { feed, hub, conn } = setup(['MSFT']);
    feed.push(['MSFT', 222]);
    conn.take();
    conn.receive({ type: 'snapshot', id: 7 });
    assert.deepEqual(conn.take().map((m) => [m.type, m.id, prices(m)]), [['snapshot', 7, [['MSFT', 222]]]]);
    conn.receive({ type: 'snapshot', symbols: ['TSLA', 'BOGUS'], id: 8 });
    const [snap, err] = conn.take();
    assert.deepEqual(prices(snap), [['TSLA', 100]]);
    assert.equal(snap.id, 8);
    assert.deepEqual([err.code, err.id, err.symbols], ['unknown_symbol', 8, ['BOGUS']]);
    await hub.stop();
  });

  test('ping answers pong with the id and a timestamp', async () => {
    const { hub, conn } = setup();
    const before = Date.now();
    conn.receive({ type: 'ping', id: 9 });
    const [pong] = conn.take();
    assert.equal(pong.type, 'pong');
    assert.equal(pong.id, 9);
    assert.ok(pong.ts >= before && pong.ts <= Date.now());
    await hub.stop();
  });

  test('every bad command gets its error code with the id echoed; the connection stays open', async () => {
    const { hub, conn } = setup([], { maxSymbolsPerClient: 3 });
    const cases: [unknown, string, unknown][] = [
      ['{not json', 'bad_json', undefined],
      ['[1,2]', 'bad_request', undefined],
      [{ symbols: ['AAPL'], id: 10 }, 'bad_request', 10],
      [{ type: 'subscribe', id: 11 }, 'bad_request', 11],
      [{ type: 'subscribe', symbols: 'AAPL', id: 12 }, 'bad_request', 12],
      [{ type: 'subscribe', symbols: [1], id: 13 }, 'bad_request', 13],
      [{ type: 'subscribe', symbols: [''], id: 14 }, 'bad_request', 14],
      [{ type: 'interval', interval: 5, id: 15 }, 'bad_request', 15],
      [{ type: 'interval', interval: 60_001, id: 16 }, 'bad_request', 16],
      [{ type: 'interval', interval: 12.5, id: 17 }, 'bad_request', 17],
      [{ type: 'interval', id: 18 }, 'bad_request', 18],
      [{ type: 'subscribe', symbols: ['AAPL'], id: { nested: true } }, 'bad_request', undefined],
      [{ type: 'launch', id: 19 }, 'unknown_command', 19],
      [{ type: 'subscribe', symbols: ['NOPE'], id: 20 }, 'unknown_symbol', 20],
      [{ type: 'subscribe', symbols: ['A', 'B', 'C', 'D'], id: 21 }, 'too_many_symbols', 21],
    ];
    for (const [input, code, id] of cases) {
      conn.receive(input);
      const errors = conn.take().filter((m) => m.type === 'error');
      assert.equal(errors.length, 1, JSON.stringify(input));
      assert.equal(errors[0].code, code, JSON.stringify(input));
      assert.equal(errors[0].id, id, JSON.stringify(input));
      assert.equal(typeof errors[0].message, 'string');
    }
    conn.emit('message', Buffer.from([1, 2, 3]), false);
    const [binaryError] = conn.take();
    assert.equal(binaryError.code, 'bad_request');
    assert.equal(conn.closeCalls.length, 0);
    await hub.stop();
  });

  test('too_many_symbols counts the resulting set and leaves the subscription unchanged', async () => {
    const { hub, conn } = setup(['AAPL', 'MSFT'], { maxSymbolsPerClient: 3 });
    conn.receive({ type: 'subscribe', symbols: ['TSLA', '600519.SH'], id: 22 });
    const [error, ...rest] = conn.take();
    assert.equal(error.code, 'too_many_symbols');
    assert.deepEqual(rest, []);
    conn.receive({ type: 'subscribe', symbols: ['TSLA'], id: 23 });
    assert.deepEqual(conn.take()[0].symbols, ['AAPL', 'MSFT', 'TSLA']);
    await hub.stop();
  });

  test('unknown symbols in the initial subscription are reported after welcome and snapshot', async () => {
    const feed = new FakeFeed(SYMBOLS);
    const hub = hubOver(feed, { appHeartbeatMs: 0 });
    hub.start();
    const conn = new FakeConnection('/?symbols=AAPL,NOPE');
    hub.attach(conn, { symbols: ['AAPL', 'NOPE'] });
    const [welcome, snapshot, error] = conn.messages();
    assert.deepEqual([welcome.type, welcome.symbols, welcome.interval], ['welcome', ['AAPL'], 1000]);
    assert.deepEqual(prices(snapshot), [['AAPL', 100]]);
    assert.deepEqual([error.code, error.symbols], ['unknown_symbol', ['NOPE']]);
    await hub.stop();
  });

  test("clientMessages 'close': any client message closes the connection with 1008", async () => {
    const { hub, conn } = setup(['AAPL'], { clientMessages: 'close' });
    conn.receive({ type: 'ping' });
    assert.deepEqual(conn.closeCalls, [{ code: 1008, reason: 'read-only feed' }]);
    assert.deepEqual(conn.take(), [], 'no answer, only the close');
    await hub.stop();
  });
});
