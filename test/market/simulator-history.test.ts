import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MarketSimulator } from '../../src/market/index.js';
import { BarBook } from '../../src/market/bars/index.js';
import { zonedTimeToUtc } from '../../src/market/sessions/index.js';
import type { Quote } from '../../src/market/index.js';

const ny = (d: number, hh: number, mm: number): number => zonedTimeToUtc(2026, 12, d, hh * 60 + mm, 'America/New_York');
const sh = (d: number, hh: number, mm: number): number => zonedTimeToUtc(2026, 12, d, hh * 60 + mm, 'Asia/Shanghai');

function book(sim: MarketSimulator): BarBook {
  const b = new BarBook();
  for (const series of sim.historySeries()) b.addHistory(series);
  return b;
}

describe('simulator history', () => {
  test('always open: the last trading-day length up to now, which the opening quote continues', () => {
    const now = ny(1, 11, 0) + 12_345;
    const sim = new MarketSimulator({ seed: 42, symbols: ['AAPL', '600519.SH'], history: true, now });
    const bars = book(sim);
    const quotes = new Map(sim.snapshot().map((q) => [q.symbol, q]));
    for (const [symbol, hours] of [['AAPL', 6.5], ['600519.SH', 4]] as const) {
      const minutes = bars.bars(symbol, '1m', 10_000);
      const q = quotes.get(symbol)!;
      assert.ok(minutes.length >= hours * 60 && minutes.length <= hours * 60 + 2, `${symbol}: ${minutes.length} 1 min bars`);
      assert.ok(minutes[0]!.t <= now - hours * 3600_000 + 60_000, 'history starts a trading day ago');
      assert.ok(minutes.at(-1)!.t <= now && minutes.at(-1)!.t > now - 60_000, 'and ends now');
      assert.equal(minutes.at(-1)!.c, q.last, 'the opening quote continues the history');
      assert.equal(minutes[0]!.o, q.open, "the day's open is the history's first price");
      assert.equal(Math.max(...minutes.map((b) => b.h)), q.high);
      assert.equal(Math.min(...minutes.map((b) => b.l)), q.low);
      assert.equal(minutes.reduce((sum, b) => sum + b.v, 0), q.volume, 'the day volume is the sum of the bars');
      assert.equal(bars.volume(symbol), q.volume);
      // Fine detail where charts need it: 1 s bars for the last 10 minutes, 5 s for the last hour.
      const seconds = bars.bars(symbol, '1s', 10_000);
      assert.ok(seconds.length >= 600 && seconds.length <= 661, `${seconds.length} 1 s bars`);
      assert.ok(bars.bars(symbol, '5s', 10_000).length >= 700);
      for (let i = 1; i < minutes.length; i++) {
        assert.ok(minutes[i]!.t > minutes[i - 1]!.t);
        const b = minutes[i]!;
        assert.ok(b.l <= Math.min(b.o, b.c) && b.h >= Math.max(b.o, b.c) && b.v >= 0, JSON.stringify(b));
      }
    }
  });

  test('deterministic for a seed and a time; the live quotes do not depend on the history at all', () => {
    const now = ny(1, 11, 0);
    const a = new MarketSimulator({ seed: 7, symbols: 5, history: true, now });
    const b = new MarketSimulator({ seed: 7, symbols: 5, history: true, now });
    assert.deepEqual(book(a).snapshot(), book(b).snapshot());
    const later = new MarketSimulator({ seed: 7, symbols: 5, history: true, now: now + 37_123 });
    const none = new MarketSimulator({ seed: 7, symbols: 5, now });
    const prices = (sim: MarketSimulator): number[][] => [sim.snapshot(), sim.advance(5000, now + 5000)].map((qs: Quote[]) => qs.map((q) => q.last));
    const expected = prices(none);
    assert.deepEqual(prices(a), expected);
    assert.deepEqual(prices(later), expected);
  });

  test('exchange hours: history is the session so far (lunch break left out); ticks only while open', () => {
    // 14:00 Shanghai on a Tuesday is 01:00 in New York: A-shares trade, US stocks do not.
    let clock = sh(1, 14, 0);
    const sim = new MarketSimulator({ seed: 3, symbols: ['AAPL', '600519.SH'], history: true, alwaysOpen: false, now: clock, clock: () => clock, ticksPerSecond: 100 });
    const bars = book(sim);
    const moutai = bars.bars('600519.SH', '1m', 10_000);
    assert.equal(moutai.length, 120 + 60);
    assert.equal(moutai[0]!.t, sh(1, 9, 30));
    assert.ok(!moutai.some((b) => b.t >= sh(1, 11, 30) && b.t < sh(1, 13, 0)), 'nothing in the lunch break');
    // AAPL: the previous US session (Monday, 09:30-16:00 New York), whole.
    const apple = bars.bars('AAPL', '1m', 10_000);
    assert.equal(apple.length, 390);
    assert.equal(apple[0]!.t, zonedTimeToUtc(2026, 11, 30, 9 * 60 + 30, 'America/New_York'));
    const opening = new Map(sim.snapshot().map((q) => [q.symbol, q]));
    assert.equal(opening.get('AAPL')!.ts, zonedTimeToUtc(2026, 11, 30, 16 * 60, 'America/New_York') - 1, "a closed market's quote is its last trade");
    assert.equal(opening.get('600519.SH')!.ts, clock - 1, 'an open one is quoted now');
    const symbols = new Set(sim.advance(10_000, clock + 10_000).map((q) => q.symbol));
    assert.deepEqual([...symbols], ['600519.SH']);
    // At 10:00 New York (23:00 Shanghai) it is the other way round.
    clock = ny(1, 10, 0);
    assert.deepEqual([...new Set(sim.advance(10_000, clock).map((q) => q.symbol))], ['AAPL']);
  });

  test('a large universe gets coarser history within the start-up budget', () => {
    const now = ny(1, 11, 0);
    const sim = new MarketSimulator({ seed: 1, symbols: 2000, history: true, now });
    const series = sim.historySeries();
    assert.ok(series.every((s) => s.resolutionMs >= 60_000), 'no fine bars for 2,000 symbols');
    const steps = series.reduce((sum, s) => sum + s.bars.t.length, 0);
    assert.ok(steps * 2 <= 400_000, `${steps} bars`);
  });
});
