// The client's state rules, fed message by message through a fake socket: seqs only go up, at
// interval 0 by exactly one (a gap triggers recovery from the offset held before it), recovered and
// full snapshots, epochs, and the leftover push after switching to interval 0.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TickstreamClient, type QuotesEvent, type SnapshotEvent, type StateEvent } from '../../src/client/index.js';
import { FakeNetwork, quotes, snapshot, welcome, within, type FakeConnection } from './fake-socket.js';

function setup(interval = 0): { client: TickstreamClient; net: FakeNetwork; events: { quotes: QuotesEvent[]; snapshots: SnapshotEvent[]; states: StateEvent[] } } {
  const net = new FakeNetwork();
  const client = new TickstreamClient({
    url: 'ws://quotes.test/ws',
    symbols: ['AAPL', 'MSFT'],
    interval,
    socket: net.factory,
    reconnect: { initialDelayMs: 10, maxDelayMs: 20 },
  });
  const events = { quotes: [] as QuotesEvent[], snapshots: [] as SnapshotEvent[], states: [] as StateEvent[] };
  client.on('quotes', (e) => events.quotes.push(e));
  client.on('snapshot', (e) => events.snapshots.push(e));
  client.on('state', (e) => events.states.push(e));
  return { client, net, events };
}

const seqs = (e: QuotesEvent | SnapshotEvent): string[] => e.quotes.map((q) => `${q.symbol}:${q.seq}`);

describe('gap detection and the state rules', { timeout: 20_000 }, () => {
  test('interval 0: consecutive seqs are applied; repeats and older seqs are dropped', async () => {
    const { client, net, events } = setup();
    client.start();
    const conn = (await net.connection(0)).open();
    assert.equal(conn.query.get('symbols'), 'AAPL,MSFT');
    assert.equal(conn.query.get('interval'), '0');
    assert.equal(conn.query.has('since'), false);
    conn.deliver(welcome(), snapshot(10, [['AAPL', 5], ['MSFT', 3]]));
    assert.equal(client.state, 'live');
    assert.deepEqual(events.snapshots.map((e) => [e.cause, e.replaced]), [['initial', true]]);

    conn.deliver(quotes(11, ['AAPL', 6], ['AAPL', 7], ['MSFT', 4]));
    conn.deliver(quotes(12, ['AAPL', 7], ['AAPL', 6], ['AAPL', 8], ['MSFT', 4]));
    assert.deepEqual(events.quotes.map(seqs), [['AAPL:6', 'AAPL:7', 'MSFT:4'], ['AAPL:8']]);
    assert.equal(client.last('AAPL')?.seq, 8);
    assert.deepEqual(client.position, { epoch: 'E1', offset: 12 });
    client.stop();
  });

  test('a gap at interval 0 reconnects with since = the offset held before it, and the recovered ticks fill it', async () => {
    const { client, net, events } = setup();
    client.start();
    const first = (await net.connection(0)).open();
    first.deliver(welcome(), snapshot(10, [['AAPL', 5], ['MSFT', 3]]), quotes(11, ['AAPL', 6]));
    // MSFT 4 is fine, AAPL 6 → 8 skips 7: nothing of this message is applied.
    first.deliver(quotes(12, ['MSFT', 4], ['AAPL', 8]));
    assert.deepEqual(first.closed, { code: 1000, reason: 'resync after a seq gap', abort: false });
    assert.equal(client.last('MSFT')?.seq, 3, 'the message with the gap is not applied at all');
    const reconnecting = events.states.find((s) => s.state === 'reconnecting');
    assert.match(reconnecting?.reason ?? '', /seq gap in AAPL: 6 then 8/);

    const second = (await net.connection(1)).open();
    assert.equal(second.query.get('since'), 'E1:11');
    second.deliver(welcome(), snapshot(12, [['MSFT', 4], ['AAPL', 7], ['AAPL', 8]], { recovered: true }));
    assert.equal(client.state, 'live');
    const last = events.quotes[events.quotes.length - 1]!;
    assert.equal(last.recovered, true);
    assert.deepEqual(seqs(last), ['MSFT:4', 'AAPL:7', 'AAPL:8']);
    assert.equal(client.last('AAPL')?.seq, 8);
    assert.deepEqual(client.position, { epoch: 'E1', offset: 12 });
    client.stop();
  });

  test('a gap inside a recovered snapshot is applied with an unrecoverable_gap error, not a reconnect loop', async () => {
    const { client, net } = setup();
    const errors: string[] = [];
    client.on('error', (e) => errors.push(e.code));
    client.start();
    const first = (await net.connection(0)).open();
    first.deliver(welcome(), snapshot(10, [['AAPL', 5]]));
    first.fail({ kind: 'close', code: 1001, reason: 'server shutting down' });
    const second = (await net.connection(1)).open();
    assert.equal(second.query.get('since'), 'E1:10');
    second.deliver(welcome(), snapshot(14, [['AAPL', 6], ['AAPL', 9]], { recovered: true }));
    assert.deepEqual(errors, ['unrecoverable_gap']);
    assert.equal(client.last('AAPL')?.seq, 9);
    assert.equal(second.closed, undefined);
    client.stop();
  });

  test('interval > 0: seqs only have to increase', async () => {
    const { client, net, events } = setup(250);
    client.start();
    const conn = (await net.connection(0)).open();
    conn.deliver(welcome({ interval: 250 }), snapshot(10, [['AAPL', 5]]), quotes(20, ['AAPL', 9]), quotes(21, ['AAPL', 9], ['MSFT', 2]));
    assert.deepEqual(events.quotes.map(seqs), [['AAPL:9'], ['MSFT:2']]);
    assert.equal(conn.closed, undefined);
    client.stop();
  });

  test('recovered:false replaces the state; a welcome of another epoch emits epoch and forgets every seq', async () => {
    const { client, net, events } = setup();
    const epochs: Array<{ epoch: string; previous: string }> = [];
    client.on('epoch', (e) => epochs.push(e));
    client.start();
    const first = (await net.connection(0)).open();
    first.deliver(welcome(), snapshot(10, [['AAPL', 50], ['MSFT', 30]]));
    first.fail({ kind: 'close', code: 1006, reason: '' });
    const second = (await net.connection(1)).open();
    assert.equal(second.query.get('since'), 'E1:10');
    second.deliver(welcome({ epoch: 'E2' }));
    assert.deepEqual(epochs, [{ epoch: 'E2', previous: 'E1' }]);
    assert.equal(client.last('AAPL'), undefined, 'seqs of the old epoch are forgotten before the new state');
    second.deliver(snapshot(3, [['AAPL', 2]], { recovered: false }));
    const resync = events.snapshots[events.snapshots.length - 1]!;
    assert.deepEqual([resync.cause, resync.replaced], ['resync', true]);
    assert.equal(client.last('AAPL')?.seq, 2);
    assert.equal(client.last('MSFT'), undefined);
    assert.deepEqual(client.position, { epoch: 'E2', offset: 3 });
    second.deliver(quotes(4, ['AAPL', 3]));
    assert.equal(client.last('AAPL')?.seq, 3);
    client.stop();
  });

  test('an epoch message in-band: seqs forgotten, the snapshot that follows is the new state', async () => {
    const { client, net, events } = setup();
    client.start();
    const conn = (await net.connection(0)).open();
    conn.deliver(welcome(), snapshot(10, [['AAPL', 50]]));
    conn.deliver({ type: 'epoch', epoch: 'E2', previous: 'E1' });
    assert.equal(client.position, undefined, 'no resume point until the new epoch has a state');
    conn.deliver(snapshot(2, [['AAPL', 1]]), quotes(3, ['AAPL', 2]));
    assert.deepEqual(events.snapshots.map((e) => e.cause), ['initial', 'epoch']);
    assert.equal(client.last('AAPL')?.seq, 2);
    assert.deepEqual(client.position, { epoch: 'E2', offset: 3 });
    client.stop();
  });

  test('switching to interval 0: the leftover push may skip seqs, later pushes may not', async () => {
    const { client, net } = setup(250);
    client.start();
    const conn = (await net.connection(0)).open();
    conn.deliver(welcome({ interval: 250 }), snapshot(10, [['AAPL', 5]]));
    const changed = client.setInterval(0);
    const command = conn.lastSent();
    assert.equal(command.type, 'interval');
    conn.deliver({ type: 'interval', id: command.id as number, interval: 0 });
    assert.equal(await changed, 0);
    conn.deliver(quotes(12, ['AAPL', 8]));
    assert.equal(client.last('AAPL')?.seq, 8);
    assert.equal(conn.closed, undefined);
    conn.deliver(quotes(13, ['AAPL', 10]));
    assert.equal((conn.closed as FakeConnection['closed'])?.reason, 'resync after a seq gap');
    const next = await net.connection(1);
    assert.equal(next.query.get('interval'), '0', 'the reconnect asks for the current interval');
    assert.equal(next.query.get('since'), 'E1:12');
    client.stop();
  });

  test('at interval 0 a snapshot reply is a read: it does not move seqs (it could hide a gap)', async () => {
    const { client, net } = setup();
    client.start();
    const conn = (await net.connection(0)).open();
    conn.deliver(welcome(), snapshot(10, [['AAPL', 5]]));
    const reply = client.snapshot(['AAPL']);
    const id = conn.lastSent().id as number;
    conn.deliver(snapshot(15, [['AAPL', 9]], { id }));
    assert.deepEqual((await reply).map((q) => q.seq), [9]);
    assert.equal(client.last('AAPL')?.seq, 5);
    conn.deliver(quotes(16, ['AAPL', 10]));
    assert.ok(conn.closed, 'AAPL 5 → 10 is a gap');
    client.stop();
  });

  test('heartbeat timeout: silence for twice the heartbeat drops the connection and reconnects', async () => {
    const { client, net, events } = setup();
    client.start();
    const conn = (await net.connection(0)).open();
    conn.deliver(welcome({ heartbeat: 40 }), snapshot(10, [['AAPL', 5]]));
    const next = await within(net.connection(1), 'the reconnect after silence');
    assert.equal(conn.closed?.abort, true, 'a dead peer is not asked for a closing handshake');
    assert.match(events.states.find((s) => s.state === 'reconnecting')?.reason ?? '', /heartbeat timeout/);
    assert.equal(next.query.get('since'), 'E1:10');
    client.stop();
  });

  test('subscriptions acks change what a reconnect asks for, and drop the quotes of symbols left', async () => {
    const { client, net } = setup();
    client.start();
    const conn = (await net.connection(0)).open();
    conn.deliver(welcome(), snapshot(10, [['AAPL', 5], ['MSFT', 3]]));
    const left = client.unsubscribe(['msft']);
    conn.deliver({ type: 'subscriptions', id: conn.lastSent().id as number, symbols: ['AAPL'] });
    assert.deepEqual(await left, ['AAPL']);
    assert.equal(client.last('MSFT'), undefined);
    const added = client.subscribe(['NVDA']);
    const id = conn.lastSent().id as number;
    conn.deliver({ type: 'subscriptions', id, symbols: ['AAPL', 'NVDA'] }, snapshot(11, [['NVDA', 40]], { id }));
    const result = await added;
    assert.deepEqual(result.symbols, ['AAPL', 'NVDA']);
    assert.deepEqual(result.quotes.map((q) => `${q.symbol}:${q.seq}`), ['NVDA:40']);
    assert.equal(client.last('NVDA')?.seq, 40);
    // The subscribe snapshot does not move the resume point: AAPL is only known complete up to 10.
    assert.deepEqual(client.position, { epoch: 'E1', offset: 10 });
    conn.fail({ kind: 'close', code: 1006, reason: '' });
    const next = await net.connection(1);
    assert.equal(next.query.get('symbols'), 'AAPL,NVDA');
    client.stop();
  });
});
