// The SDK in Node against a real server, through a TCP proxy that cuts, blackholes and slows the
// connection. After each fault the SDK holds exactly what a reference client that never
// disconnected holds at the same stream offset, and at interval 0 every seq of every symbol, once.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { TickstreamServer } from '../../src/app/server.js';
import { TickstreamClient, type TickstreamClientOptions, type WireQuote } from '../../src/client/node.js';
import { openClient, startTestServer, TEST_SEED, type TestClient, type WireMessage } from '../helpers/server.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';
import { waitFor } from '../helpers/events.js';
import { within } from './fake-socket.js';

const SYMBOLS = ['AAPL', 'MSFT', '600519.SH'];
const HEARTBEAT_MS = 200;

/** A plain client on the server's own port that never disconnects: the truth to compare with. */
class Reference {
  private constructor(private readonly client: TestClient) {}

  static async open(wsUrl: string, symbols: readonly string[] = SYMBOLS): Promise<Reference> {
    const client = await openClient(`${wsUrl}?symbols=${symbols.join(',')}&interval=0`);
    await client.nextOfType('snapshot');
    return new Reference(client);
  }

  private data(): WireMessage[] {
    return this.client.received.map((r) => r.message).filter((m) => m.type === 'quotes' || m.type === 'snapshot');
  }

  /** Waits until the reference has received everything up to `offset`. */
  async reach(offset: number): Promise<void> {
    if (this.data().some((m) => (m.offset as number) >= offset)) return;
    await this.client.next((m) => (m.type === 'quotes' || m.type === 'snapshot') && (m.offset as number) >= offset, 5_000);
  }

  /** The latest quote of each symbol as of `offset`. */
  stateAt(offset: number): Map<string, WireQuote> {
    const state = new Map<string, WireQuote>();
    for (const m of this.data()) {
      if ((m.offset as number) > offset) break;
      for (const q of m.quotes as WireQuote[]) {
        if ((state.get(q.symbol)?.seq ?? -1) < q.seq) state.set(q.symbol, q);
      }
    }
    return state;
  }

  close(): Promise<void> {
    return this.client.close();
  }
}

/** An SDK client through the proxy, recording every seq it applied per symbol and every recovery. */
function sdkClient(
  proxy: TcpProxy,
  interval: number,
  symbols: readonly string[] = SYMBOLS,
  extra: Partial<TickstreamClientOptions> = {},
): { client: TickstreamClient; seqs: Map<string, number[]>; recoveries: () => number; resyncs: () => number; quotes: (n: number) => Promise<void> } {
  const client = new TickstreamClient({
    url: proxy.url('/ws'),
    symbols,
    interval,
    connectTimeoutMs: 2_000,
    reconnect: { initialDelayMs: 200, maxDelayMs: 400, stableAfterMs: 500 },
    ...extra,
  });
  const seqs = new Map<string, number[]>(symbols.filter((s) => s !== '*').map((s) => [s, []]));
  let recoveries = 0;
  let resyncs = 0;
  let count = 0;
  const waiters: Array<{ target: number; wake: () => void }> = [];
  const record = (quotes: readonly WireQuote[]): void => {
    for (const q of quotes) {
      let list = seqs.get(q.symbol);
      if (list === undefined) seqs.set(q.symbol, (list = []));
      list.push(q.seq);
    }
    count += quotes.length;
    for (const w of [...waiters]) {
      if (count >= w.target) {
        waiters.splice(waiters.indexOf(w), 1);
        w.wake();
      }
    }
  };
  client.on('snapshot', (e) => {
    if (e.cause === 'resync') resyncs++;
    if (e.replaced) record(e.quotes);
  });
  client.on('quotes', (e) => record(e.quotes));
  client.on('message', (m) => {
    if (m.type === 'snapshot' && m.recovered === true) recoveries++;
  });
  return {
    client,
    seqs,
    recoveries: () => recoveries,
    resyncs: () => resyncs,
    quotes: (n) => within(new Promise<void>((wake) => waiters.push({ target: count + n, wake })), `${n} more quotes`, 10_000),
  };
}

/** Every symbol's seqs go up by exactly one, from the first snapshot on. */
function assertContiguous(seqs: Map<string, number[]>): void {
  for (const [symbol, list] of seqs) {
    assert.ok(list.length > 1, `${symbol} ticked`);
    for (let i = 1; i < list.length; i++) assert.equal(list[i], list[i - 1]! + 1, `${symbol}: seq ${list[i - 1]} then ${list[i]}`);
  }
}

/** The SDK's last values (read in one go, at one offset) equal the reference's at that offset. */
async function assertSameAsReference(client: TickstreamClient, reference: Reference): Promise<void> {
  const position = client.position;
  assert.ok(position, 'the client holds a position');
  const mine = new Map(client.quotes().map((q) => [q.symbol, q] as const));
  await reference.reach(position.offset);
  const expected = reference.stateAt(position.offset);
  assert.deepEqual([...mine.keys()].sort(), [...expected.keys()].sort(), 'the same symbols');
  for (const [symbol, quote] of expected) assert.deepEqual(mine.get(symbol), quote, `${symbol} at offset ${position.offset}`);
}

describe('TickstreamClient through network faults, against a real server', { timeout: 60_000 }, () => {
  let server: TickstreamServer;
  let proxy: TcpProxy;
  let reference: Reference;
  before(async () => {
    server = await startTestServer({ feed: { kind: 'simulator', seed: TEST_SEED, ticksPerSecond: 400 }, appHeartbeatMs: HEARTBEAT_MS });
    proxy = await startTcpProxy({ port: server.port });
    reference = await Reference.open(server.wsUrl);
  });
  after(async () => {
    await reference.close();
    await proxy.close();
    await server.close();
  });

  test('cut: reconnects with since, recovers what it missed, no seq missing', async () => {
    const sdk = sdkClient(proxy, 0);
    const live = sdk.client.next('state', (e) => e.state === 'live');
    sdk.client.start();
    await within(live, 'live');
    await sdk.quotes(10);
    const reconnecting = sdk.client.next('state', (e) => e.state === 'reconnecting');
    proxy.cut();
    assert.match((await within(reconnecting, 'reconnecting')).reason ?? '', /closed 1006/);
    await within(sdk.client.next('state', (e) => e.state === 'live'), 'live again');
    await sdk.quotes(20);
    assert.equal(sdk.recoveries(), 1);
    assert.equal(sdk.resyncs(), 0);
    assertContiguous(sdk.seqs);
    await assertSameAsReference(sdk.client, reference);
    sdk.client.stop();
  });

  test('blackhole: the heartbeat timeout replaces the silent connection, then it recovers', async () => {
    const sdk = sdkClient(proxy, 0);
    const live = sdk.client.next('state', (e) => e.state === 'live');
    sdk.client.start();
    await within(live, 'live');
    await sdk.quotes(10);
    const reconnecting = sdk.client.next('state', (e) => e.state === 'reconnecting');
    proxy.blackhole();
    try {
      // Nothing arrives, nothing is closed: only the silence tells (2 × the 200 ms heartbeat).
      assert.match((await within(reconnecting, 'the heartbeat timeout')).reason ?? '', /heartbeat timeout/);
    } finally {
      proxy.forward();
    }
    await within(sdk.client.next('state', (e) => e.state === 'live'), 'live again');
    await sdk.quotes(20);
    assert.ok(sdk.recoveries() >= 1);
    assert.equal(sdk.resyncs(), 0);
    assertContiguous(sdk.seqs);
    await assertSameAsReference(sdk.client, reference);
    sdk.client.stop();
  });

  test('slow: delayed chunks change nothing but the latency', async () => {
    const sdk = sdkClient(proxy, 0);
    const live = sdk.client.next('state', (e) => e.state === 'live');
    sdk.client.start();
    await within(live, 'live');
    await sdk.quotes(10);
    proxy.slow(120);
    try {
      await sdk.quotes(30);
    } finally {
      proxy.forward();
    }
    await sdk.quotes(10);
    assert.equal(sdk.resyncs(), 0);
    assertContiguous(sdk.seqs);
    await assertSameAsReference(sdk.client, reference);
    sdk.client.stop();
  });

  test('interval 250 and a cut: the latest value of each symbol, as the reference has it', async () => {
    const sdk = sdkClient(proxy, 250);
    const live = sdk.client.next('state', (e) => e.state === 'live');
    sdk.client.start();
    await within(live, 'live');
    await sdk.quotes(5);
    proxy.cut();
    await within(sdk.client.next('state', (e) => e.state === 'reconnecting'), 'reconnecting');
    await within(sdk.client.next('state', (e) => e.state === 'live'), 'live again');
    await sdk.quotes(5);
    assert.equal(sdk.recoveries(), 1);
    for (const [symbol, list] of sdk.seqs) {
      for (let i = 1; i < list.length; i++) assert.ok(list[i]! > list[i - 1]!, `${symbol}: seqs only go up`);
    }
    await assertSameAsReference(sdk.client, reference);
    sdk.client.stop();
  });

  test('commands through the proxy: acks resolve, errors reject with the server error, a cut rejects what is in flight', async () => {
    const sdk = sdkClient(proxy, 0);
    const live = sdk.client.next('state', (e) => e.state === 'live');
    sdk.client.start();
    await within(live, 'live');
    const { client } = sdk;

    const added = await within(client.subscribe(['nvda']), 'the subscribe ack');
    assert.deepEqual(added.symbols, [...SYMBOLS, 'NVDA']);
    assert.deepEqual(added.quotes.map((q) => q.symbol), ['NVDA']);
    assert.ok(client.last('NVDA')!.seq >= added.quotes[0]!.seq, 'the snapshot is applied before the promise resolves');
    assert.deepEqual(await within(client.unsubscribe(['NVDA']), 'the unsubscribe ack'), SYMBOLS);
    assert.equal(client.last('NVDA'), undefined);
    assert.deepEqual((await within(client.snapshot(['MSFT']), 'the snapshot reply')).map((q) => q.symbol), ['MSFT']);
    assert.ok(Math.abs((await within(client.ping(), 'the pong')) - Date.now()) < 5_000);
    const history = await within(client.bars('msft', '1m', 120), 'the bars reply');
    assert.equal(history.symbol, 'MSFT');
    assert.equal(history.bars.length, 120);
    assert.ok(history.seq >= 1 && history.volume > 0);
    await assert.rejects(client.bars('NOPE', '1m'), { name: 'TickstreamError', code: 'unknown_symbol' });
    await assert.rejects(client.subscribe(Array.from({ length: 10_001 }, (_, i) => `S${i}`)), { name: 'TickstreamError', code: 'too_many_symbols' });
    const unknown = client.next('error');
    assert.deepEqual(await client.snapshot(['NOPE']), []);
    // The snapshot itself resolved (with nothing); the server's word about the rest is an error event with the command's id.
    const event = await within(unknown, 'the unknown_symbol error');
    assert.equal(event.source === 'server' && event.code, 'unknown_symbol');
    assert.deepEqual(event.source === 'server' && event.symbols, ['NOPE']);
    assert.equal(event.source === 'server' && typeof event.id, 'number');

    // In flight when the connection dies: rejected, the reconnect then asks for the interval acknowledged before.
    proxy.blackhole();
    const inFlight = client.setInterval(500);
    proxy.cut();
    proxy.forward();
    await assert.rejects(inFlight, { code: 'connection_closed' });
    await within(client.next('state', (e) => e.state === 'live'), 'live again');
    assert.equal(client.interval, 0);
    assert.equal(await within(client.setInterval(500), 'the interval ack'), 500);
    client.stop();
  });
});

describe('a server conflating a slow reader at interval 0', { timeout: 60_000 }, () => {
  test('the SDK sees the seq gap, resumes from before it, and ends with every tick', async () => {
    // A busy market, a small high-water mark: a reader paused for a few seconds makes the server
    // keep only the latest quote per symbol for it (docs/api.md, slow consumers), i.e. skip seqs.
    const server = await startTestServer({ feed: { kind: 'simulator', seed: TEST_SEED, ticksPerSecond: 5_000 }, appHeartbeatMs: HEARTBEAT_MS, highWaterMarkBytes: 16 * 1024 });
    const proxy = await startTcpProxy({ port: server.port });
    const reference = await Reference.open(server.wsUrl, ['*']);
    try {
      // No heartbeat timeout here: the pause must end with the same connection, conflated.
      const sdk = sdkClient(proxy, 0, ['*'], { heartbeatTimeoutMs: 0 });
      const live = sdk.client.next('state', (e) => e.state === 'live');
      sdk.client.start();
      await within(live, 'live');
      await sdk.quotes(100);
      const gap = sdk.client.next('state', (e) => e.state === 'reconnecting');
      proxy.blackhole();
      try {
        await waitFor('the server to treat the client as slow', async () => (server.hub.stats().slowClients > 0 ? true : undefined), 20_000, 20);
      } finally {
        proxy.forward();
      }
      assert.match((await within(gap, 'the gap', 10_000)).reason ?? '', /^seq gap in \S+: \d+ then \d+; recovering$/);
      await within(sdk.client.next('state', (e) => e.state === 'live'), 'live again', 10_000);
      await sdk.quotes(200);
      assert.ok(sdk.recoveries() >= 1);
      assert.equal(sdk.resyncs(), 0);
      assertContiguous(sdk.seqs);
      await assertSameAsReference(sdk.client, reference);
      sdk.client.stop();
    } finally {
      await reference.close();
      await proxy.close();
      await server.close();
    }
  });
});
