// Case variants of one symbol in one command are one symbol; empty symbol lists and id:null are
// refused with bad_request (issue 10, found on the way).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeConnection, FakeFeed, hubOver, prices } from './fakes.js';

function setup() {
  const feed = new FakeFeed(['AAPL', 'MSFT']);
  const hub = hubOver(feed, { appHeartbeatMs: 0 });
  hub.start();
  const conn = new FakeConnection();
  hub.attach(conn, { symbols: [], intervalMs: 0 });
  conn.take(); // welcome + snapshot
  return { hub, conn };
}

describe('one symbol however it is spelled', { timeout: 10_000 }, () => {
  test('subscribe ["aapl","AAPL"]: one symbol in the ack and in the snapshot', async () => {
    const { hub, conn } = setup();
    conn.receive({ type: 'subscribe', symbols: ['aapl', 'AAPL'], id: 1 });
    const [ack, snapshot, ...rest] = conn.take();
    assert.deepEqual(ack, { type: 'subscriptions', id: 1, symbols: ['AAPL'] });
    assert.deepEqual(prices(snapshot), [['AAPL', 100]]);
    assert.deepEqual(rest, []);
    await hub.stop();
  });

  test('snapshot ["MSFT","msft"] holds MSFT once; unknown ["NOPE","nope"] is reported once', async () => {
    const { hub, conn } = setup();
    conn.receive({ type: 'snapshot', symbols: ['MSFT', 'msft', 'NOPE', 'nope'], id: 2 });
    const [snapshot, error] = conn.take();
    assert.deepEqual(prices(snapshot), [['MSFT', 100]]);
    assert.equal(error.code, 'unknown_symbol');
    assert.deepEqual(error.symbols, ['NOPE']);
    await hub.stop();
  });

  test('an empty symbol list and id:null are refused with bad_request', async () => {
    const { hub, conn } = setup();
    conn.receive({ type: 'subscribe', symbols: [], id: 3 });
    conn.receive({ type: 'unsubscribe', symbols: [], id: 4 });
    conn.receive({ type: 'ping', id: null });
    const replies = conn.take();
    assert.deepEqual(replies.map((m) => [m.type, m.code, m.id]), [
      ['error', 'bad_request', 3],
      ['error', 'bad_request', 4],
      ['error', 'bad_request', undefined],
    ]);
    assert.match(String(replies[0]!.message), /at least one symbol/);
    assert.match(String(replies[2]!.message), /"id" must be a string or a number/);
    await hub.stop();
  });
});
