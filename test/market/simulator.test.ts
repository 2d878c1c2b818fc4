import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_UNIVERSE,
  MarketSimulator,
  createFeed,
  priceBand,
  type Quote,
  type SimulatedSymbol,
} from '../../src/market/index.js';
import { RecordingSink } from './recording-sink.js';

/** Drives a simulator for `totalMs` in steps of `stepMs`, wall clock = simulated clock from 0. */
function run(sim: MarketSimulator, totalMs: number, stepMs: number): Quote[] {
  const out: Quote[] = [];
  for (let now = stepMs; now <= totalMs; now += stepMs) {
    for (const quote of sim.advance(stepMs, now)) out.push(quote);
  }
  return out;
}

function onTickGrid(price: number): boolean {
  return Math.round(price * 100) / 100 === price && /^\d+(\.\d{1,2})?$/.test(String(price));
}

/** Checks every per-quote and per-symbol invariant the Quote contract promises. */
function assertQuoteInvariants(snapshot: readonly Quote[], ticks: readonly Quote[]): void {
  const previous = new Map<string, Quote>();
  for (const q of snapshot) {
    assert.equal(q.seq, 1, `${q.symbol} snapshot seq`);
    previous.set(q.symbol, q);
  }
  for (const q of [...snapshot, ...ticks]) {
    for (const key of ['last', 'bid', 'ask', 'open', 'high', 'low', 'prevClose', 'change'] as const) {
      assert.ok(onTickGrid(Math.abs(q[key])), `${q.symbol} ${key}=${q[key]} off the tick grid`);
    }
    assert.ok(q.bid < q.ask, `${q.symbol} bid ${q.bid} >= ask ${q.ask}`);
    assert.ok(q.bid <= q.last && q.last <= q.ask, `${q.symbol} last ${q.last} outside [${q.bid}, ${q.ask}]`);
    assert.ok(q.low <= q.last && q.last <= q.high, `${q.symbol} last outside [low, high]`);
    assert.ok(q.low <= q.open && q.open <= q.high, `${q.symbol} open outside [low, high]`);
    // Reference values computed in integer cents (float subtraction of prices would add noise).
    const lastCents = Math.round(q.last * 100);
    const prevCents = Math.round(q.prevClose * 100);
    assert.equal(q.change, (lastCents - prevCents) / 100);
    assert.equal(q.changePct, Math.round(((lastCents - prevCents) / prevCents) * 10000) / 100);
    assert.ok(Number.isInteger(q.volume) && q.volume > 0, `${q.symbol} volume ${q.volume}`);
  }
  for (const q of ticks) {
    const before = previous.get(q.symbol);
    assert.ok(before, `tick for unknown symbol ${q.symbol}`);
    assert.equal(q.seq, before.seq + 1, `${q.symbol} seq`);
    assert.ok(q.volume > before.volume, `${q.symbol} volume must grow on every tick`);
    assert.ok(q.high >= before.high && q.low <= before.low, `${q.symbol} high/low must only widen`);
    assert.equal(q.open, before.open);
    assert.equal(q.prevClose, before.prevClose);
    assert.ok(q.ts >= before.ts, `${q.symbol} ts went backwards`);
    previous.set(q.symbol, q);
  }
}

describe('MarketSimulator', () => {
  test('snapshot covers the default universe with opening quotes', () => {
    const sim = new MarketSimulator({ seed: 1, now: 0 });
    const snapshot = sim.snapshot();
    assert.equal(sim.universe().length, DEFAULT_UNIVERSE.length);
    assert.deepEqual(
      snapshot.map((q) => q.symbol),
      DEFAULT_UNIVERSE.map((s) => s.symbol),
    );
    for (const q of snapshot) {
      assert.equal(q.open, q.last);
      assert.equal(q.high, q.last);
      assert.equal(q.low, q.last);
      assert.equal(q.ts, 0);
      // The opening gap is small: well inside 10 % for these volatilities.
      assert.ok(Math.abs(q.last / q.prevClose - 1) < 0.1, 'Math.abs(q.last / q.prevClose - 1) < 0.1');
    }
  });

  test('quotes keep every invariant over ten simulated minutes', { timeout: 20_000 }, () => {
    const sim = new MarketSimulator({ seed: 11, now: 0, ticksPerSecond: 200, timeScale: 30 });
    const snapshot = sim.snapshot();
    const ticks = run(sim, 600_000, 50);
    assert.ok(ticks.length > 100_000, `${ticks.length} ticks`);
    assertQuoteInvariants(snapshot, ticks);
    // Prices actually move, and the batch is in time order.
    assert.ok(new Set(ticks.filter((q) => q.symbol === 'AAPL').map((q) => q.last)).size > 50, 'new Set(ticks.filter((q) => q.symbol === \'AAPL\').map((q) => q.last)).size > 50');
    for (let k = 1; k < ticks.length; k++) assert.ok(ticks[k]!.ts >= ticks[k - 1]!.ts, 'ticks[k]!.ts >= ticks[k - 1]!.ts');
    // The final snapshot is the last tick of each symbol.
    const lastBySymbol = new Map(ticks.map((q) => [q.symbol, q]));
    for (const q of sim.snapshot()) assert.deepEqual(q, lastBySymbol.get(q.symbol));
  });

  test('A-share prices stay inside the daily limit band over a volatile simulated day', { timeout: 20_000 }, () => {
    // Annualised volatility 400 % makes a day's standard deviation ~25 %: limits are hit often.
    const symbols = ['600519.SH', '601398.SH', '000858.SZ', '300750.SZ', '688981.SH', '002594.SZ'];
    const universe: SimulatedSymbol[] = DEFAULT_UNIVERSE.filter((s) => symbols.includes(s.symbol)).map((s) => ({
      ...s,
      volatility: 4,
    }));
    const bands = new Map(universe.map((s) => [s.symbol, priceBand(Math.round(s.prevClose * 100), s.limitPct)]));
    let hitUp = 0;
    let hitDown = 0;
    for (const seed of [1, 2, 3]) {
      // 4 trading hours squeezed into 60 s of simulated wall time.
      const sim = new MarketSimulator({ seed, universe, now: 0, ticksPerSecond: 300, timeScale: 240 });
      const snapshot = sim.snapshot();
      const ticks = run(sim, 60_000, 100);
      assertQuoteInvariants(snapshot, ticks);
      for (const q of [...snapshot, ...ticks]) {
        const band = bands.get(q.symbol)!;
        for (const price of [q.last, q.bid, q.ask, q.high, q.low]) {
          const cents = Math.round(price * 100);
          assert.ok(cents >= band.downCents && cents <= band.upCents, `${q.symbol} ${price} outside the band`);
        }
        if (Math.round(q.last * 100) === band.upCents) hitUp++;
        if (Math.round(q.last * 100) === band.downCents) hitDown++;
      }
    }
    assert.ok(hitUp > 0 && hitDown > 0, `limits reached: up ${hitUp}, down ${hitDown}`);
  });

  test('the same seed gives identical output, a different seed a different one', () => {
    const a = run(new MarketSimulator({ seed: 7, now: 0 }), 20_000, 50);
    const b = run(new MarketSimulator({ seed: 7, now: 0 }), 20_000, 50);
    const c = run(new MarketSimulator({ seed: 8, now: 0 }), 20_000, 50);
    assert.ok(a.length > 1000, 'a.length > 1000');
    assert.deepEqual(a, b);
    assert.notDeepEqual(
      a.map((q) => [q.symbol, q.last]),
      c.map((q) => [q.symbol, q.last]),
    );
    assert.deepEqual(new MarketSimulator({ seed: 'x', now: 0 }).snapshot(), new MarketSimulator({ seed: 'x', now: 0 }).snapshot());
  });

  test('the quotes do not depend on how time is split across advance() calls', () => {
    const strip = (qs: Quote[]): Omit<Quote, 'ts'>[] => qs.map(({ ts: _ts, ...rest }) => rest);
    const coarse = run(new MarketSimulator({ seed: 5, now: 0 }), 10_000, 1000);
    const fine = run(new MarketSimulator({ seed: 5, now: 0 }), 10_000, 13);
    const fineRest = new MarketSimulator({ seed: 5, now: 0 });
    const split = [...fineRest.advance(3_333, 3_333), ...fineRest.advance(6_667, 10_000)];
    assert.ok(coarse.length > 1500, 'coarse.length > 1500');
    // 10,000 is not a multiple of 13: the fine run stops at 9,997 ms, compare the common prefix.
    assert.deepEqual(strip(fine), strip(coarse.slice(0, fine.length)));
    assert.deepEqual(strip(split), strip(coarse));
  });

  test('tick arrivals are Poisson: aggregate rate, per-symbol rate and exponential gaps', { timeout: 20_000 }, () => {
    const rate = 200;
    const seconds = 600;
    const sim = new MarketSimulator({ seed: 123, now: 0, ticksPerSecond: rate });
    const n = sim.universe().length;
    const perSecond: number[] = [];
    const times = new Map<string, number[]>();
    for (let s = 1; s <= seconds; s++) {
      // 1 ms steps would be slow; 1 s steps with ts interpolated to the millisecond are enough.
      const batch = sim.advance(1000, s * 1000);
      perSecond.push(batch.length);
      for (const q of batch) {
        let list = times.get(q.symbol);
        if (list === undefined) times.set(q.symbol, (list = []));
        list.push(q.ts);
      }
    }
    const total = perSecond.reduce((x, y) => x + y, 0);
    const expected = rate * seconds; // 120,000, sd ~346: a 2 % tolerance is ~7 sd
    assert.ok(Math.abs(total - expected) < expected * 0.02, `total ${total}, expected ${expected}`);

    // Counts in 1 s windows of a Poisson process have variance = mean.
    const mean = total / seconds;
    const variance = perSecond.reduce((acc, x) => acc + (x - mean) ** 2, 0) / (seconds - 1);
    assert.ok(variance / mean > 0.75 && variance / mean < 1.3, `dispersion ${variance / mean}`);

    // Every symbol gets its share (2,727 expected, sd ~52) with exponential gaps (CV ~ 1).
    assert.equal(times.size, n);
    for (const [symbol, list] of times) {
      assert.ok(Math.abs(list.length - expected / n) < (expected / n) * 0.15, `${symbol} ${list.length} ticks`);
      const gaps = list.slice(1).map((t, k) => t - list[k]!);
      const gapMean = gaps.reduce((x, y) => x + y, 0) / gaps.length;
      const gapSd = Math.sqrt(gaps.reduce((acc, g) => acc + (g - gapMean) ** 2, 0) / (gaps.length - 1));
      assert.ok(Math.abs(gapMean - (1000 * n) / rate) < (1000 * n) / rate / 7, `${symbol} mean gap ${gapMean}`);
      assert.ok(gapSd / gapMean > 0.85 && gapSd / gapMean < 1.15, `${symbol} gap CV ${gapSd / gapMean}`);
    }
  });

  test('volatility scales the price dispersion as GBM predicts', { timeout: 20_000 }, () => {
    // One simulated trading day at timeScale 390 (6.5 h in 60 s): log-return sd ~ sigma / sqrt(252).
    const universe: SimulatedSymbol[] = Array.from({ length: 200 }, (_, k) => ({
      symbol: `T${k}`,
      name: `Test ${k}`,
      exchange: 'NYSE',
      currency: 'USD',
      prevClose: 100,
      volatility: 0.4,
      limitPct: null,
    }));
    const sim = new MarketSimulator({ seed: 99, universe, now: 0, ticksPerSecond: 2000, timeScale: 390 });
    const open = new Map(sim.snapshot().map((q) => [q.symbol, q.last]));
    run(sim, 60_000, 1000);
    const returns = sim.snapshot().map((q) => Math.log(q.last / open.get(q.symbol)!));
    const sd = Math.sqrt(returns.reduce((acc, r) => acc + r * r, 0) / returns.length);
    const expectedSd = 0.4 / Math.sqrt(252); // ~0.0252
    assert.ok(sd > expectedSd * 0.8 && sd < expectedSd * 1.2, `daily sd ${sd}, expected ${expectedSd}`);
  });

  test('scales to 10,000 symbols with A-share lots of 100 shares', () => {
    const sim = new MarketSimulator({ seed: 1, symbols: 10_000, ticksPerSecond: 200_000, now: 0 });
    assert.equal(sim.universe().length, 10_000);
    const snapshot = sim.snapshot();
    const ticks = sim.advance(100, 100);
    assert.ok(Math.abs(ticks.length - 20_000) < 1000, `${ticks.length} ticks in 100 ms`);
    assertQuoteInvariants(snapshot, ticks);
    const chinese = new Set(DEFAULT_UNIVERSE.filter((s) => s.currency === 'CNY').map((s) => s.symbol));
    for (const q of [...snapshot, ...ticks]) if (chinese.has(q.symbol)) assert.equal(q.volume % 100, 0);
  });

  test('one advance() is bounded by maxTicksPerAdvance', () => {
    const sim = new MarketSimulator({ seed: 1, now: 0, ticksPerSecond: 1000, maxTicksPerAdvance: 2000 });
    assert.equal(sim.advance(60_000, 60_000).length, 2000);
    const next = sim.advance(1000, 61_000);
    assert.ok(next.length > 800 && next.length < 1200, 'next.length > 800 && next.length < 1200');
  });

  test('rejects invalid options', () => {
    assert.throws(() => new MarketSimulator({ ticksPerSecond: 0 }), RangeError);
    assert.throws(() => new MarketSimulator({ tickIntervalMs: -1 }), RangeError);
    assert.throws(() => new MarketSimulator({ universe: [] }), RangeError);
    assert.throws(() => new MarketSimulator({ universe: [{ ...DEFAULT_UNIVERSE[0]!, prevClose: 0 }] }), RangeError);
    assert.throws(() => new MarketSimulator({ seed: 1 }).advance(-1, 0), RangeError);
    assert.throws(() => new MarketSimulator({ seed: 1 }).advance(Number.NaN, 0), RangeError);
  });

  test('start() reports universe, opening quotes and up, then batches from a real timer until stop()', { timeout: 10_000 }, async () => {
    const feed = await createFeed({ kind: 'simulator', seed: 3, ticksPerSecond: 5000, tickIntervalMs: 10 });
    assert.ok(feed instanceof MarketSimulator);
    assert.equal(feed.name, 'simulator');
    const sink = new RecordingSink();
    feed.start(sink);
    // Synchronously, in this order: the universe (feed-neutral descriptions), one opening quote
    // per symbol (seq 1), and up.
    assert.deepEqual(sink.sequence, ['universe', 'quotes', 'status:up']);
    assert.deepEqual(
      sink.symbols.map((s) => s.symbol),
      DEFAULT_UNIVERSE.map((s) => s.symbol),
    );
    assert.deepEqual(Object.keys(sink.symbols[0]!).sort(), ['currency', 'exchange', 'name', 'prevClose', 'symbol']);
    assert.deepEqual(sink.batches[0], feed.snapshot());
    for (const q of sink.batches[0]!) assert.equal(q.seq, 1);
    assert.deepEqual(sink.statuses, [{ state: 'up' }]);
    assert.throws(() => feed.start(new RecordingSink()), /already started/);

    await sink.until((s) => s.batches.length >= 3, 'two timer batches');
    await feed.stop();
    const delivered = sink.events.length;
    const seqs = new Map<string, number>();
    for (const q of sink.received) {
      assert.ok(Math.abs(q.ts - Date.now()) < 5000, 'ts is wall-clock time');
      assert.equal(q.seq, (seqs.get(q.symbol) ?? 0) + 1, `${q.symbol} seq`);
      seqs.set(q.symbol, q.seq);
    }
    // Proving absence needs a wait: several timer periods pass without a batch after stop().
    await new Promise((resolve) => setTimeout(resolve, 60));
    assert.equal(sink.events.length, delivered);
    await feed.stop(); // idempotent
  });

  test('start() after stop() reports nothing', async () => {
    const feed = new MarketSimulator({ seed: 1 });
    await feed.stop();
    const sink = new RecordingSink();
    feed.start(sink);
    assert.deepEqual(sink.events, []);
  });
});
