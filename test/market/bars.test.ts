import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BarBook, BarRing, TickRing, TIMEFRAME_CAPACITY } from '../../src/market/bars/index.js';

const T0 = Date.UTC(2026, 10, 27, 14, 30); // a whole minute (and 5 minutes)

/** Folds a tick with the next seq (each test's ticks are in stream order). */
let seq = 0;
function tick(book: BarBook, symbol: string, ts: number, last: number, volume: number): void {
  book.apply(symbol, ts, last, volume, ++seq);
}

describe('BarRing', () => {
  test('grows as bars arrive, keeps the newest `capacity`, oldest first', () => {
    const ring = new BarRing(100);
    for (let i = 0; i < 250; i++) ring.push(i * 1000, i, i + 1, i - 1, i, 10);
    assert.equal(ring.size, 100);
    const bars = ring.last(1000);
    assert.equal(bars.length, 100);
    assert.equal(bars[0]!.t, 150_000);
    assert.equal(bars[99]!.t, 249_000);
    assert.deepEqual(ring.last(2).map((b) => b.t), [248_000, 249_000]);
    assert.deepEqual(ring.last(0), []);
  });

  test('toFlat / fromFlat round trip; malformed flat input is a RangeError', () => {
    const ring = new BarRing(10);
    for (let i = 0; i < 15; i++) ring.push(i * 5000, 1, 2, 0.5, 1.5, i);
    const copy = BarRing.fromFlat(ring.toFlat(), 10);
    assert.deepEqual(copy.last(10), ring.last(10));
    assert.throws(() => BarRing.fromFlat([1, 2, 3], 10), /multiple of 6/);
    assert.throws(() => BarRing.fromFlat([5, 1, 1, 1, 1, 1, 5, 1, 1, 1, 1, 1], 10), /increasing time order/);
    assert.throws(() => new BarRing(0), /positive integer/);
  });
});

describe('BarBook', () => {
  test('folds ticks by their ts into every timeframe; volume is the growth of the cumulative volume', () => {
    const book = new BarBook();
    tick(book, 'AAPL', T0 + 100, 100, 1000); // first tick: its volume is the day's so far, not this bar's
    tick(book, 'AAPL', T0 + 900, 101, 1050);
    tick(book, 'AAPL', T0 + 1200, 99, 1100);
    tick(book, 'AAPL', T0 + 61_000, 102, 1300);
    assert.deepEqual(book.bars('AAPL', '1s', 10), [
      { t: T0, o: 100, h: 101, l: 100, c: 101, v: 50 },
      { t: T0 + 1000, o: 99, h: 99, l: 99, c: 99, v: 50 },
      { t: T0 + 61_000, o: 102, h: 102, l: 102, c: 102, v: 200 },
    ]);
    assert.deepEqual(book.bars('AAPL', '1m', 10), [
      { t: T0, o: 100, h: 101, l: 99, c: 99, v: 100 },
      { t: T0 + 60_000, o: 102, h: 102, l: 102, c: 102, v: 200 },
    ]);
    assert.deepEqual(book.bars('AAPL', '5m', 10), [{ t: T0, o: 100, h: 102, l: 99, c: 102, v: 300 }]);
    assert.equal(book.volume('AAPL'), 1300);
    assert.deepEqual(book.bars('MSFT', '1m', 10), []);
    assert.equal(book.volume('MSFT'), 0);
  });

  test('a volume that goes down starts a new session; a late tick only adds volume to the newest bar', () => {
    const book = new BarBook();
    tick(book, 'X', T0, 10, 5000);
    tick(book, 'X', T0 + 60_000, 11, 200); // new session: 200 traded, not -4800
    assert.equal(book.bars('X', '1m', 1)[0]!.v, 200);
    tick(book, 'X', T0 + 30_000, 50, 260); // late: older bucket
    assert.deepEqual(book.bars('X', '1m', 5), [
      { t: T0, o: 10, h: 10, l: 10, c: 10, v: 0 },
      { t: T0 + 60_000, o: 11, h: 11, l: 11, c: 11, v: 260 },
    ]);
  });

  test('history: 30 s bars build 1 min and 5 min only, 1 s bars build everything; then live ticks continue', () => {
    const book = new BarBook();
    const t = [T0, T0 + 30_000, T0 + 60_000];
    book.addHistory({ symbol: 'X', resolutionMs: 30_000, bars: { t, o: [10, 11, 12], h: [11, 12, 13], l: [9, 10, 11], c: [11, 12, 12.5], v: [5, 6, 7] } });
    book.addHistory({ symbol: 'X', resolutionMs: 1000, bars: { t: [T0 + 90_000], o: [12.5], h: [12.6], l: [12.4], c: [12.45], v: [1] }, volume: 19 });
    assert.deepEqual(book.bars('X', '1m', 5), [
      { t: T0, o: 10, h: 12, l: 9, c: 12, v: 11 },
      { t: T0 + 60_000, o: 12, h: 13, l: 11, c: 12.45, v: 8 },
    ]);
    assert.deepEqual(book.bars('X', '1s', 5), [{ t: T0 + 90_000, o: 12.5, h: 12.6, l: 12.4, c: 12.45, v: 1 }]);
    assert.deepEqual(book.bars('X', '5s', 5), [{ t: T0 + 90_000, o: 12.5, h: 12.6, l: 12.4, c: 12.45, v: 1 }]);
    // The first live tick's volume counts from the history's end (19), not from nothing.
    tick(book, 'X', T0 + 90_500, 12.7, 25);
    assert.deepEqual(book.bars('X', '1s', 1), [{ t: T0 + 90_000, o: 12.5, h: 12.7, l: 12.4, c: 12.7, v: 7 }]);
    assert.throws(() => book.addHistory({ symbol: 'X', resolutionMs: 500, bars: { t: [], o: [], h: [], l: [], c: [], v: [] } }), /multiple of 1000/);
  });

  test('snapshot / restore carries every timeframe and the volume; a malformed snapshot changes nothing', () => {
    const book = new BarBook();
    for (let i = 0; i < 500; i++) tick(book, 'X', T0 + i * 700, 100 + (i % 7), 1000 + i * 3);
    const copy = new BarBook();
    copy.restore(structuredClone(book.snapshot())); // how cluster IPC carries it
    for (const tf of ['1s', '5s', '1m', '5m'] as const) assert.deepEqual(copy.bars('X', tf, 5000), book.bars('X', tf, 5000));
    assert.equal(copy.volume('X'), book.volume('X'));
    assert.throws(() => copy.restore({ symbols: { Y: { volume: 1, bars: { '1m': [1, 2, 3] } } } }), RangeError);
    assert.deepEqual(copy.bars('X', '1m', 5000), book.bars('X', '1m', 5000));
    assert.equal(copy.bars('Y', '1m', 5).length, 0);
  });

  test('a quote not newer than the bars (by seq) is already counted: restored bars plus the stream never double count', () => {
    const book = new BarBook();
    book.apply('X', T0, 10, 100, 5);
    book.apply('X', T0 + 100, 12, 150, 6);
    book.apply('X', T0 + 200, 99, 999, 6); // a repeat
    book.apply('X', T0 + 300, 1, 999, 4); // older
    assert.deepEqual(book.bars('X', '1s', 5), [{ t: T0, o: 10, h: 12, l: 10, c: 12, v: 50 }]);
    assert.equal(book.seq('X'), 6);
    const copy = new BarBook();
    copy.restore(structuredClone(book.snapshot()));
    copy.apply('X', T0 + 100, 12, 150, 6);
    copy.apply('X', T0 + 1500, 13, 170, 7);
    assert.deepEqual(copy.bars('X', '1s', 5), [{ t: T0, o: 10, h: 12, l: 10, c: 12, v: 50 }, { t: T0 + 1000, o: 13, h: 13, l: 13, c: 13, v: 20 }]);
    assert.deepEqual([...copy.newerThan('X', '1s', T0)], [T0 + 1000, 13, 13, 13, 13, 20]);
    assert.equal(copy.newerThan('X', '1s', T0 - 1).length, 12);
    assert.equal(copy.newerThan('NONE', '1s', 0).length, 0);
  });

  test('rings are bounded: a full day of 1 s ticks keeps the configured number of bars per timeframe', () => {
    const book = new BarBook();
    for (let i = 0; i < 8 * 3600; i++) tick(book, 'X', T0 + i * 1000, 100, i);
    assert.equal(book.bars('X', '1s', 1e6).length, TIMEFRAME_CAPACITY['1s']);
    assert.equal(book.bars('X', '5s', 1e6).length, TIMEFRAME_CAPACITY['5s']);
    assert.equal(book.bars('X', '1m', 1e6).length, 8 * 60);
    assert.equal(book.bars('X', '5m', 1e6).length, 8 * 12);
  });
});

describe('TickRing', () => {
  test('keeps the newest ticks, oldest first', () => {
    const ring = new TickRing(3);
    for (let i = 1; i <= 5; i++) ring.push(i, i * 10, i * 10 - 1, i * 10 + 1, i * 100, i);
    assert.deepEqual(ring.last(10).map((t) => t.seq), [3, 4, 5]);
    assert.deepEqual(ring.last(1), [{ ts: 5, last: 50, bid: 49, ask: 51, volume: 500, seq: 5 }]);
  });
});
