// Recovery end to end: a real server, a client that drops its connection and reconnects with
// since=EPOCH:OFFSET, and a reference client that never disconnected. After the reconnect the
// dropping client has every seq of its symbols (no gap at cadence 0) and the same last values.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { openClient, quotesOf, startTestServer, TEST_SEED, type TestClient, type WireQuote } from '../helpers/server.js';

const SYMBOLS = 'AAPL,MSFT,600519.SH';

/** Collects every quote of a client's quotes/snapshot messages, and the position it reached. */
function track(client: TestClient, into: WireQuote[]): { offset: () => number } {
  let offset = -1;
  let seen = 0;
  const poll = (): void => {
    const received = client.received;
    for (; seen < received.length; seen++) {
      const m = received[seen]!.message;
      if (m.type === 'quotes' || m.type === 'snapshot') {
        into.push(...quotesOf(m));
        offset = m.offset as number;
      }
    }
  };
  return {
    offset: () => {
      poll();
      return offset;
    },
  };
}

async function quotesUntil(client: TestClient, count: number): Promise<void> {
  for (let n = 0; n < count; ) {
    const m = await client.next((x) => x.type === 'quotes', 5_000);
    n += quotesOf(m).length;
  }
}

describe('recovery across a reconnect, against a real server', { timeout: 30_000 }, () => {
  test('cadence 0: no missing seq, and the same last values as a client that never left', async () => {
    const server = await startTestServer({ feed: { kind: 'simulator', seed: TEST_SEED, ticksPerSecond: 2000 }, appHeartbeatMs: 0 });
    try {
      const reference = await openClient(`${server.wsUrl}?symbols=${SYMBOLS}&interval=0`);
      const referenceQuotes: WireQuote[] = [];
      const referenceTrack = track(reference, referenceQuotes);

      const first = await openClient(`${server.wsUrl}?symbols=${SYMBOLS}&interval=0`);
      const welcome = await first.nextOfType('welcome');
      const got: WireQuote[] = [];
      const firstTrack = track(first, got);
      await quotesUntil(first, 20);
      await first.close(); // the connection is gone; ticks keep coming
      const since = `${welcome.epoch as string}:${firstTrack.offset()}`;
      await quotesUntil(reference, 40); // the reference sees what the dropped client misses

      const again = await openClient(`${server.wsUrl}?symbols=${SYMBOLS}&interval=0&since=${since}`);
      const snapshot = await again.nextOfType('snapshot');
      assert.equal(snapshot.recovered, true);
      assert.ok(quotesOf(snapshot).length > 0, 'the missed ticks came back');
      const againTrack = track(again, got);
      await quotesUntil(again, 20);

      // No gap: per symbol, every seq from the first seen to the last.
      const bySymbol = new Map<string, number[]>();
      for (const q of got) bySymbol.set(q.symbol, [...(bySymbol.get(q.symbol) ?? []), q.seq]);
      for (const [symbol, seqs] of bySymbol) {
        for (let i = 1; i < seqs.length; i++) assert.equal(seqs[i], seqs[i - 1]! + 1, `${symbol}: seq ${seqs[i - 1]} then ${seqs[i]}`);
      }
      // Same last values: the reference, once at the same offset, holds the very quotes we hold.
      const target = againTrack.offset();
      while (referenceTrack.offset() < target) await reference.nextOfType('quotes');
      const mine = new Map(got.map((q) => [q.symbol, q] as const));
      for (const [symbol, q] of mine) {
        const same = referenceQuotes.find((r) => r.symbol === symbol && r.seq === q.seq);
        assert.ok(same, `the reference saw ${symbol} seq ${q.seq}`);
        assert.deepEqual(same, q);
      }
      await Promise.all([again.close(), reference.close()]);
    } finally {
      await server.close();
    }
  });

  test('a malformed since is refused with 400; an unknown epoch gets a full snapshot with recovered:false', async () => {
    const server = await startTestServer({ appHeartbeatMs: 0 });
    try {
      await assert.rejects(openClient(`${server.wsUrl}?since=garbage`), /400/);
      const client = await openClient(`${server.wsUrl}?symbols=AAPL&since=old-epoch:12`);
      const snapshot = await client.nextOfType('snapshot');
      assert.equal(snapshot.recovered, false);
      assert.deepEqual(quotesOf(snapshot).map((q) => q.symbol), ['AAPL']);
      await client.close();
    } finally {
      await server.close();
    }
  });
});
