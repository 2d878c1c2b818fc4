import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { SourceHealth, StreamQuote, StreamSink, StreamSnapshot, StreamSource } from '../../src/broker/stream.js';
import { QuoteHub } from '../../src/hub/index.js';
import { HUB_FRAMES } from '../../src/app/hub-frames.js';
import type { SymbolInfo } from '../../src/market/index.js';
import { FakeConnection, makeQuote, prices } from './fakes.js';

/** A stream source driven by hand: the test plays the broker. */
class ManualSource implements StreamSource {
  readonly name = 'manual';
  sink: StreamSink | null = null;
  stopped = false;
  constructor(private readonly first: StreamSnapshot) {}
  async start(sink: StreamSink): Promise<void> {
    this.sink = sink;
    sink.reset(this.first);
  }
  async stop(): Promise<void> {
    this.stopped = true;
  }
  health(): SourceHealth {
    return { ready: true };
  }
}

const info = (symbol: string): SymbolInfo => ({ symbol, name: symbol, exchange: 'NASDAQ', currency: 'USD', prevClose: 100 });
let offset = 0;
const sq = (symbol: string, last: number, seq: number): StreamQuote => ({ ...makeQuote(symbol, last, seq, Date.now()), offset: ++offset });

function snapshot(epoch: string, quotes: StreamQuote[], symbols = ['AAPL', 'MSFT']): StreamSnapshot {
  return { epoch, offset: Math.max(0, ...quotes.map((q) => q.offset)), universe: symbols.map(info), quotes, status: { state: 'up' } };
}

async function setup(intervalMs = 0) {
  const source = new ManualSource(snapshot('e1', [sq('AAPL', 100, 5), sq('MSFT', 200, 9)]));
  const hub = new QuoteHub(source, { appHeartbeatMs: 0, frames: HUB_FRAMES });
  await hub.start();
  const conn = new FakeConnection();
  hub.attach(conn, { symbols: ['*'], intervalMs });
  return { source, hub, conn, sink: source.sink! };
}

describe('hub: stream events', { timeout: 10_000 }, () => {
  test('welcome carries the epoch and the feed status', async () => {
    const { hub, conn } = await setup();
    const [welcome] = conn.messages();
    assert.equal(welcome.epoch, 'e1');
    assert.deepEqual(welcome.feed, { state: 'up' });
    await hub.stop();
  });

  test('a new epoch: notice, a fresh snapshot, the new stream\'s status; no value of the old epoch after the notice', async () => {
    const { hub, conn, sink } = await setup(1000);
    sink.quotes([sq('AAPL', 101, 6)]); // pending in the 1 s group: must never be pushed now
    sink.reset(snapshot('e2', [sq('AAPL', 150, 1), sq('MSFT', 250, 1)]));
    const after = conn.messages().slice(2);
    // The status goes out even though it reads as before: it is the new stream's.
    assert.deepEqual(after.map((m) => m.type), ['epoch', 'snapshot', 'status']);
    assert.deepEqual(after[0], { type: 'epoch', epoch: 'e2', previous: 'e1' });
    assert.deepEqual(prices(after[1]!), [['AAPL', 150], ['MSFT', 250]]);
    // seq 1 in the new epoch is accepted although it is lower than the old epoch's 6.
    sink.quotes([sq('AAPL', 151, 2)]);
    assert.equal(hub.snapshot(['AAPL'])[0]!.last, 151);
    await hub.stop();
  });

  test('a resync within the epoch delivers only newer values, like live ticks; older ones are ignored', async () => {
    const { hub, conn, sink } = await setup(0);
    sink.reset(snapshot('e1', [sq('AAPL', 99, 4), sq('MSFT', 205, 12)]));
    const after = conn.messages().slice(2);
    assert.deepEqual(after.map((m) => m.type), ['quotes']);
    assert.deepEqual(prices(after[0]!), [['MSFT', 205]], 'AAPL seq 4 is older than the held seq 5');
    assert.equal(hub.snapshot(['AAPL'])[0]!.seq, 5);
    await hub.stop();
  });

  test('repeated or older quotes within an epoch are never forwarded', async () => {
    const { hub, conn, sink } = await setup(0);
    sink.quotes([sq('AAPL', 1, 5), sq('AAPL', 2, 3), sq('MSFT', 201, 10)]);
    const updates = conn.messages().filter((m) => m.type === 'quotes');
    assert.deepEqual(updates.map(prices), [[['MSFT', 201]]]);
    await hub.stop();
  });

  test('feed status and universe changes reach every client', async () => {
    const { hub, conn, sink } = await setup();
    sink.status({ state: 'stale', reason: 'no data from ingest for 3 s' });
    sink.status({ state: 'stale', reason: 'no data from ingest for 3 s' }); // unchanged: not repeated
    sink.universe([info('TSLA')], ['MSFT']);
    const after = conn.messages().slice(2);
    assert.deepEqual(after, [
      { type: 'status', feed: 'stale', reason: 'no data from ingest for 3 s' },
      { type: 'symbols', added: [info('TSLA')], removed: ['MSFT'] },
    ]);
    assert.deepEqual(hub.cache.universe().map((i) => i.symbol), ['AAPL', 'TSLA']);
    await hub.stop();
  });
});
