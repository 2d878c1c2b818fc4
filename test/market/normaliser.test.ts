import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidUpdateError, QuoteNormaliser, priceChange, type Quote, type QuoteUpdate } from '../../src/market/index.js';
import { RecordingSink } from './recording-sink.js';

/** A normaliser on a fake clock that starts at 1000 and only moves when told. */
function normaliser(options: ConstructorParameters<typeof QuoteNormaliser>[0] = {}): { n: QuoteNormaliser; clock: { now: number } } {
  const clock = { now: 1000 };
  return { n: new QuoteNormaliser({ now: () => clock.now, ...options }), clock };
}

function pick(q: Quote, keys: readonly (keyof Quote)[]): unknown[] {
  return keys.map((k) => q[k]);
}

/** Every invariant the Quote contract promises, per quote and per symbol. */
function assertConsistent(quotes: readonly Quote[]): void {
  const previous = new Map<string, Quote>();
  for (const q of quotes) {
    assert.ok(q.bid <= q.last && q.last <= q.ask, `${q.symbol} #${q.seq}: bid ${q.bid} <= last ${q.last} <= ask ${q.ask}`);
    assert.ok(q.low <= q.last && q.last <= q.high && q.low <= q.open && q.open <= q.high, `${q.symbol} #${q.seq}: low/open/last/high`);
    const before = previous.get(q.symbol);
    assert.equal(q.seq, (before?.seq ?? 0) + 1, `${q.symbol} seq`);
    if (before !== undefined) {
      assert.ok(q.volume >= before.volume, `${q.symbol} volume went down`);
      assert.ok(q.ts >= before.ts, `${q.symbol} ts went back`);
      assert.ok(q.high >= before.high && q.low <= before.low, `${q.symbol} high/low narrowed`);
    }
    previous.set(q.symbol, q);
  }
}

describe('QuoteNormaliser', () => {
  test('a trade-only stream becomes full quotes: open, high/low, volume from sizes, seq, change', () => {
    const { n, clock } = normaliser({ universe: [{ symbol: 'AAPL', name: 'Apple', exchange: 'NASDAQ', currency: 'USD', prevClose: 200 }] });
    const out = [
      n.normalise({ symbol: 'AAPL', last: 201.5, size: 10 }),
      n.normalise({ symbol: 'AAPL', last: 203.25, size: 5, ts: 5000 }),
      n.normalise({ symbol: 'AAPL', last: 199.9 }),
    ];
    const keys = ['last', 'bid', 'ask', 'open', 'high', 'low', 'prevClose', 'change', 'changePct', 'volume', 'ts', 'seq'] as const;
    assert.deepEqual(out.map((q) => pick(q, keys)), [
      [201.5, 201.5, 201.5, 201.5, 201.5, 201.5, 200, 1.5, 0.75, 10, 1000, 1],
      [203.25, 203.25, 203.25, 201.5, 203.25, 201.5, 200, 3.25, 1.63, 15, 5000, 2],
      // No ts: now (1000) is older than the previous ts, and a symbol's ts never goes back.
      [199.9, 199.9, 199.9, 201.5, 203.25, 199.9, 200, -0.1, -0.05, 15, 5000, 3],
    ]);
    clock.now = 9000;
    assert.equal(n.normalise({ symbol: 'AAPL', last: 200 }).ts, 9000);
    assertConsistent(out);
  });

  test('a trade keeps the previous book while it brackets the trade, else bid = ask = last', () => {
    const { n } = normaliser();
    n.normalise({ symbol: 'X', bid: 9.98, ask: 10.02, last: 10 });
    assert.deepEqual(pick(n.normalise({ symbol: 'X', last: 10.01 }), ['bid', 'last', 'ask']), [9.98, 10.01, 10.02]);
    assert.deepEqual(pick(n.normalise({ symbol: 'X', last: 10.5 }), ['bid', 'last', 'ask']), [10.5, 10.5, 10.5]);
  });

  test('a trade reported with a book that does not bracket it widens the book just enough', () => {
    const { n } = normaliser();
    assert.deepEqual(pick(n.normalise({ symbol: 'X', bid: 10, ask: 10.03, last: 10.05 }), ['bid', 'last', 'ask']), [10, 10.05, 10.05]);
    // One side given: the other side is the previous one unless it would cross.
    assert.deepEqual(pick(n.normalise({ symbol: 'X', bid: 10.04 }), ['bid', 'last', 'ask']), [10.04, 10.05, 10.05]);
    assert.deepEqual(pick(n.normalise({ symbol: 'X', bid: 10.07 }), ['bid', 'last', 'ask']), [10.07, 10.07, 10.07]);
  });

  test('book-only updates: the mid stands in before the first trade, which then opens the session', () => {
    const { n } = normaliser();
    const early = n.normalise({ symbol: 'EUR', bid: 1.0841, ask: 1.0844, ts: 1 });
    // Mid on the prices' own grid (4 decimals), rounded half up; open/high/low follow it until a trade.
    assert.deepEqual(pick(early, ['bid', 'last', 'ask', 'open', 'high', 'low', 'prevClose', 'change', 'volume']), [
      1.0841, 1.0843, 1.0844, 1.0843, 1.0843, 1.0843, 1.0843, 0, 0,
    ]);
    const moved = n.normalise({ symbol: 'EUR', bid: 1.085, ask: 1.0852, ts: 2 });
    assert.deepEqual(pick(moved, ['last', 'open', 'high', 'low']), [1.0851, 1.0851, 1.0851, 1.0851]);
    const trade = n.normalise({ symbol: 'EUR', last: 1.0852, size: 1000, ts: 3 });
    assert.deepEqual(pick(trade, ['last', 'open', 'high', 'low', 'change', 'volume']), [1.0852, 1.0852, 1.0852, 1.0852, 0.0009, 1000]);
    // After the first trade a book update keeps last while it is inside the book...
    assert.equal(n.normalise({ symbol: 'EUR', bid: 1.0849, ask: 1.0853, ts: 4 }).last, 1.0852);
    // ...and moves it to the nearest side when the book moves away; high/low follow.
    const away = n.normalise({ symbol: 'EUR', bid: 1.0801, ask: 1.0803, ts: 5 });
    assert.deepEqual(pick(away, ['bid', 'last', 'ask', 'open', 'low', 'volume']), [1.0801, 1.0803, 1.0803, 1.0852, 1.0803, 1000]);
    // The first trade resets high/low (the indicative mids were not trades), so no assertConsistent.
    for (const q of [early, moved, trade, away]) assert.ok(q.bid <= q.last && q.last <= q.ask && q.low <= q.last && q.last <= q.high);
    assert.deepEqual([early, moved, trade, away].map((q) => q.seq), [1, 2, 3, 5]);
  });

  test('volume: cumulative volume wins over sizes and never decreases', () => {
    const { n } = normaliser();
    const volumes = [
      n.normalise({ symbol: 'V', last: 5, size: 100 }),
      n.normalise({ symbol: 'V', last: 5.01, size: 50 }),
      n.normalise({ symbol: 'V', last: 5.02, volume: 1000, size: 7 }),
      n.normalise({ symbol: 'V', last: 5.03, volume: 900 }), // a late or reset counter
      n.normalise({ symbol: 'V', volume: 1200 }), // volume-only: no trade price, last stays
      n.normalise({ symbol: 'V', last: 5.04, size: 0.5 }), // fractional quantities (crypto) are fine
    ].map((q) => [q.last, q.volume]);
    assert.deepEqual(volumes, [
      [5, 100],
      [5.01, 150],
      [5.02, 1000],
      [5.03, 1000],
      [5.03, 1200],
      [5.04, 1200.5],
    ]);
  });

  test('keeps the decimals of the source and computes change on them without float noise', () => {
    const { n } = normaliser();
    const btc = n.normalise({ symbol: 'BTC-USD', last: 64123.45678, prevClose: 63000.1 });
    assert.equal(btc.last, 64123.45678);
    assert.equal(btc.change, 1123.35678);
    assert.equal(btc.changePct, 1.78);
    const small = n.normalise({ symbol: 'SHIB', last: 0.00001234, prevClose: 0.00001201 });
    assert.equal(small.change, 3.3e-7);
    assert.equal(small.changePct, 2.75);
    // 100.1 - 100 is 0.09999999999999432 in floats.
    assert.deepEqual(priceChange(100.1, 100), { change: 0.1, changePct: 0.1 });
    // On the cent grid the result is the simulator's integer-cent arithmetic.
    assert.deepEqual(priceChange(13.59, 12.35), { change: 1.24, changePct: 10.04 });
  });

  test('an unknown symbol is described minimally, from the first update', () => {
    const { n } = normaliser();
    const q = n.normalise({ symbol: 'NEW', last: 42, prevClose: 40 });
    assert.equal(q.prevClose, 40);
    n.normalise({ symbol: 'BOOK', bid: 9, ask: 11 });
    assert.deepEqual(n.takeNewSymbols(), [
      { symbol: 'NEW', name: 'NEW', exchange: '', currency: '', prevClose: 40 },
      { symbol: 'BOOK', name: 'BOOK', exchange: '', currency: '', prevClose: 10 },
    ]);
    assert.deepEqual(n.takeNewSymbols(), [], 'each new symbol is reported once');
    // A later prevClose does not move the session's reference.
    assert.equal(n.normalise({ symbol: 'NEW', last: 43, prevClose: 1 }).prevClose, 40);
    assert.deepEqual(n.universe().map((s) => s.symbol), ['NEW', 'BOOK']);
    assert.equal(n.latest('NEW')!.seq, 2);
  });

  test('bad input: normalise() throws a clear error and changes nothing', () => {
    const { n } = normaliser();
    n.normalise({ symbol: 'A', last: 10 });
    const bad: [unknown, RegExp][] = [
      [{ symbol: 'A', last: Number.NaN }, /^A: "last" must be a positive price, got NaN$/],
      [{ symbol: 'A', last: -1 }, /"last" must be a positive price, got -1/],
      [{ symbol: 'A', last: 0 }, /"last" must be a positive price, got 0/],
      [{ symbol: 'A', bid: Number.POSITIVE_INFINITY }, /"bid" must be a positive price, got Infinity/],
      [{ symbol: 'A', last: '10' }, /"last" must be a positive price, got "10"/],
      [{ symbol: 'A', bid: 11, ask: 10 }, /crossed book, bid 11 above ask 10/],
      [{ symbol: 'A', last: 10, size: -5 }, /"size" must be a finite number >= 0/],
      [{ symbol: 'A', last: 10, volume: Number.NaN }, /"volume" must be a finite number >= 0/],
      [{ symbol: 'A', last: 10, ts: -1 }, /"ts" must be epoch milliseconds/],
      [{ symbol: 'A' }, /none of "last", "bid", "ask", "size", "volume"/],
      [{ symbol: '', last: 1 }, /"symbol" must be a non-empty string/],
      [{ last: 1 }, /"symbol" must be a non-empty string/],
      [null, /an update must be an object/],
      [{ symbol: 'B', size: 10 }, /B: "last" \(or "bid"\/"ask"\) is required in a symbol's first update/],
    ];
    for (const [update, message] of bad) {
      assert.throws(() => n.normalise(update as QuoteUpdate), (error: unknown) => error instanceof InvalidUpdateError && message.test(error.message));
    }
    assert.equal(n.latest('A')!.seq, 1, 'refused updates leave no trace');
    assert.equal(n.latest('B'), undefined);
    assert.deepEqual(n.takeNewSymbols().map((s) => s.symbol), ['A']);
    // Null fields count as absent (JSON sources often send them).
    assert.equal(n.normalise({ symbol: 'A', last: 11, bid: null, size: null } as unknown as QuoteUpdate).seq, 2);
  });

  test('normaliseAll() and deliver() drop bad updates with a count; deliver() announces new symbols first', () => {
    const rejected: string[] = [];
    const { n } = normaliser({
      universe: [{ symbol: 'KNOWN', name: 'Known', exchange: 'X', currency: 'USD', prevClose: 10 }],
      onReject: (error) => rejected.push(error.message),
    });
    const sink = new RecordingSink();
    const delivered = n.deliver(sink, [
      { symbol: 'KNOWN', last: 10.5 },
      { symbol: 'FRESH', last: Number.NaN },
      { symbol: 'FRESH', last: 3 },
      { symbol: 'KNOWN', last: -2 },
    ]);
    assert.equal(delivered, 2);
    assert.equal(n.rejected, 2);
    assert.deepEqual(rejected, ['FRESH: "last" must be a positive price, got NaN', 'KNOWN: "last" must be a positive price, got -2']);
    assert.deepEqual(sink.sequence, ['universe', 'quotes']);
    assert.deepEqual(sink.symbols.map((s) => s.symbol), ['FRESH'], 'only symbols the feed did not describe itself');
    assert.deepEqual(sink.received.map((q) => [q.symbol, q.seq, q.prevClose]), [
      ['KNOWN', 1, 10],
      ['FRESH', 1, 3],
    ]);
    // Nothing valid: nothing reported.
    n.deliver(sink, [{ symbol: 'KNOWN', last: Number.NaN }]);
    assert.equal(sink.events.length, 2);
    assert.equal(n.normaliseAll([{ symbol: 'KNOWN', last: 11 }, { symbol: 'KNOWN' }]).length, 1);
    assert.equal(n.rejected, 4);
  });

  test('bounds the number of symbols it tracks', () => {
    const { n } = normaliser({ maxSymbols: 2 });
    n.normalise({ symbol: 'A', last: 1 });
    n.normalise({ symbol: 'B', last: 1 });
    assert.throws(() => n.normalise({ symbol: 'C', last: 1 }), /more than 2 symbols/);
    assert.equal(n.normalise({ symbol: 'A', last: 2 }).seq, 2);
  });

  test('a long random stream of partial updates stays consistent', () => {
    const { n, clock } = normaliser();
    let state = 12345;
    const rand = (): number => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 4294967296);
    // Each symbol opens with a trade: the pre-trade phase (where the first trade resets high/low)
    // has its own test above.
    const out: Quote[] = [0, 1, 2].map((i) => n.normalise({ symbol: `S${i}`, last: 55 }));
    for (let k = 0; k < 5000; k++) {
      clock.now += Math.floor(rand() * 3) - 1; // a clock that sometimes steps back
      const mid = 50 + Math.round(rand() * 1000) / 100;
      const half = Math.round(rand() * 5 + 1) / 100;
      const kind = Math.floor(rand() * 5);
      const update: QuoteUpdate =
        kind === 0 ? { symbol: `S${k % 3}`, last: mid, size: 1 }
        : kind === 1 ? { symbol: `S${k % 3}`, bid: mid - half, ask: mid + half }
        : kind === 2 ? { symbol: `S${k % 3}`, bid: mid - half }
        : kind === 3 ? { symbol: `S${k % 3}`, ask: mid + half, last: mid, volume: k }
        : { symbol: `S${k % 3}`, last: mid, bid: mid - half, ask: mid + half, size: 2 };
      out.push(n.normalise(update));
    }
    assertConsistent(out);
  });
});
