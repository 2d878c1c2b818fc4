import type { FeedSink, QuoteFeed } from './feed.js';
import type { Quote } from './quote.js';
import { GaussianPool, Xoshiro128, normaliseSeed, randomSeed } from './rng.js';
import { bidCents, changePctFromCents, priceBand, spreadTicks, toCents } from './price-rules.js';
import { buildUniverse, neutralInfo, type SimulatedSymbol } from './universe.js';
import { calendarForExchange, marketStateAt, type MarketCalendar } from './sessions/index.js';
import { historyIntervals, planHistory, type HistorySegment } from './history-plan.js';
import type { HistorySeries } from './bars/index.js';

/**
 * The embedded market simulator, the default feed.
 *
 * Model (docs/market.md has the long version):
 * - Tick times: one aggregate Poisson process of rate `ticksPerSecond` whose events are marked
 *   with a uniformly chosen symbol. By the splitting property of Poisson processes this is exactly
 *   N independent per-symbol Poisson processes of rate ticksPerSecond / N (exponential
 *   inter-arrivals per symbol), but it costs O(1) per tick: no heap of next-tick times.
 * - Price: exact geometric Brownian motion, zero drift, per-symbol sigma, scaled by the simulated
 *   market time elapsed since that symbol's previous tick. The unrounded "fair" price is kept so
 *   rounding to cents does not make cheap stocks stick; the printed last is the fair price rounded
 *   to the tick grid and clamped into the A-share limit band.
 * - Quote: bid/ask 1 bp wide (at least one tick) around the last trade; volume grows by a random
 *   number of lots (100 shares on SSE/SZSE) sized to roughly 20,000 currency units per trade.
 *
 * Determinism: all randomness comes from one seeded xoshiro128** stream, and simulated time is
 * only what advance() is told. Wall-clock `now` only labels the ticks (ts) and never feeds the
 * random state, so the same seed and the same advance() calls give identical quotes apart from ts,
 * and in fact the same quotes however the total time is split across calls.
 */

export interface SimulatorOptions {
  /** PRNG seed (number or string). Random when omitted; read it back from `seed` to reproduce a run. */
  seed?: number | string;
  /** A count (default universe first, then SYM00001...) or a list of symbols. Default: DEFAULT_UNIVERSE. */
  symbols?: number | readonly string[];
  /** Explicit symbol descriptions; overrides `symbols` (tests use it for extreme volatilities). */
  universe?: readonly SimulatedSymbol[];
  /** Aggregate ticks per second of real time across the universe. Default 200. */
  ticksPerSecond?: number;
  /** Period of the start() timer. Default 50 ms. */
  tickIntervalMs?: number;
  /** Simulated market milliseconds per real millisecond (60 plays a trading hour per minute). Default 1. */
  timeScale?: number;
  /** After an event-loop stall, start() simulates at most this much time in one step. Default 1000 ms. */
  maxCatchUpMs?: number;
  /** Most ticks one advance() call produces; the rest of that interval is skipped. Default max(100k, 2 s of ticks). */
  maxTicksPerAdvance?: number;
  /** Timestamp of the opening quotes. Default Date.now(). */
  now?: number;
  /**
   * true (default): every symbol ticks all the time (the demo market never sleeps). false: a symbol
   * ticks only while its exchange's calendar (sessions/calendar.ts) is in continuous trading.
   */
  alwaysOpen?: boolean;
  /**
   * Make up the session so far (the last trading-day length with alwaysOpen, else the calendar's
   * session up to `now`) as bars before the opening quote, reported through FeedSink.history. The
   * opening quote then continues that history (its open, high, low and volume are the day's).
   * Deterministic for a seed and `now`. Default false (the `simulator` feed kind turns it on).
   */
  history?: boolean;
  /** Wall clock used for market hours (tests move it). Default Date.now. */
  clock?: () => number;
}

/**
 * 200 ticks/s over the 44-symbol default universe is ~4.5 ticks per symbol per second: every row of
 * a dashboard visibly moves several times a second, while staying far below what one client link
 * or the hub needs to think about. Large universes should set ticksPerSecond explicitly.
 */
export const DEFAULT_TICKS_PER_SECOND = 200;
/** 20 batches a second: below the ~100 ms a viewer perceives as lag, few enough timer wake-ups. */
export const DEFAULT_TICK_INTERVAL_MS = 50;
/** Volatility is annualised over 252 trading days of 6.5 hours. */
export const TRADING_MS_PER_YEAR = 252 * 6.5 * 3600 * 1000;
/** Overnight gap of the opening quote: half a trading day's standard deviation. */
const OPENING_GAP_YEARS = 0.25 / 252;
/** Rough notional of one trade, in the symbol's currency; sets the mean trade size in lots. */
const TRADE_NOTIONAL = 20_000;

export class MarketSimulator implements QuoteFeed {
  readonly name = 'simulator';
  readonly seed: number;
  readonly ticksPerSecond: number;
  readonly tickIntervalMs: number;
  readonly timeScale: number;

  private readonly symbolInfos: readonly SimulatedSymbol[];
  private readonly symbols: string[];
  private readonly count: number;
  private readonly rng: Xoshiro128;
  private readonly gauss: GaussianPool;
  private readonly meanGapMs: number;
  private readonly maxCatchUpMs: number;
  private readonly maxTicksPerAdvance: number;

  // Per-symbol state, structure-of-arrays: compact, cache friendly, no per-symbol objects.
  private readonly fair: Float64Array; // unrounded price
  private readonly sigmaPerSqrtMs: Float64Array; // volatility per sqrt(market millisecond)
  private readonly prevCents: Float64Array;
  private readonly lastCents: Float64Array;
  private readonly openCents: Float64Array;
  private readonly highCents: Float64Array;
  private readonly lowCents: Float64Array;
  private readonly bidCentsArr: Float64Array;
  private readonly askCentsArr: Float64Array;
  private readonly downCents: Float64Array;
  private readonly upCents: Float64Array;
  private readonly lotShares: Float64Array;
  private readonly extraLotsMean: Float64Array;
  private readonly volume: Float64Array;
  private readonly seqs: Float64Array;
  private readonly stamps: Float64Array;
  private readonly lastTickClock: Float64Array; // simulator clock (real ms) of the previous tick
  /** Per symbol: index into `calendars`, or -1 (always open: no calendar, or alwaysOpen). */
  private readonly calendarOf: Int8Array;
  private readonly calendars: MarketCalendar[] = [];
  /** Per calendar: open now, and the instant that may change it. */
  private readonly calendarOpen: boolean[] = [];
  private readonly calendarRecheckAt: number[] = [];
  private readonly clock: () => number;
  private readonly history: HistorySeries[] = [];

  /** Real milliseconds simulated so far (the sum of advance() arguments). */
  private clockMs = 0;
  private nextArrivalMs: number;
  private timer: NodeJS.Timeout | undefined;
  /** A simulator runs once: a restart would repeat seqs already reported. */
  private started = false;
  private stopped = false;

  constructor(options: SimulatorOptions = {}) {
    this.seed = options.seed === undefined ? randomSeed() : normaliseSeed(options.seed);
    this.ticksPerSecond = positive('ticksPerSecond', options.ticksPerSecond ?? DEFAULT_TICKS_PER_SECOND, 1e9);
    this.tickIntervalMs = positive('tickIntervalMs', options.tickIntervalMs ?? DEFAULT_TICK_INTERVAL_MS, 60_000);
    this.timeScale = positive('timeScale', options.timeScale ?? 1, 1e9);
    this.maxCatchUpMs = positive('maxCatchUpMs', options.maxCatchUpMs ?? 1000, 3_600_000);
    this.maxTicksPerAdvance = Math.floor(
      positive('maxTicksPerAdvance', options.maxTicksPerAdvance ?? Math.max(100_000, this.ticksPerSecond * 2), 1e8),
    );
    this.meanGapMs = 1000 / this.ticksPerSecond;

    const infos = options.universe ?? buildUniverse(options.symbols);
    if (infos.length === 0) throw new RangeError('the universe is empty');
    this.symbolInfos = Object.freeze([...infos]);
    this.symbols = infos.map((info) => info.symbol);
    if (new Set(this.symbols).size !== this.symbols.length) throw new RangeError('duplicate symbol in universe');
    const n = (this.count = infos.length);

    this.rng = new Xoshiro128(this.seed);
    this.gauss = new GaussianPool(this.rng);
    this.fair = new Float64Array(n);
    this.sigmaPerSqrtMs = new Float64Array(n);
    this.prevCents = new Float64Array(n);
    this.lastCents = new Float64Array(n);
    this.openCents = new Float64Array(n);
    this.highCents = new Float64Array(n);
    this.lowCents = new Float64Array(n);
    this.bidCentsArr = new Float64Array(n);
    this.askCentsArr = new Float64Array(n);
    this.downCents = new Float64Array(n);
    this.upCents = new Float64Array(n);
    this.lotShares = new Float64Array(n);
    this.extraLotsMean = new Float64Array(n);
    this.volume = new Float64Array(n);
    this.seqs = new Float64Array(n);
    this.stamps = new Float64Array(n);
    this.lastTickClock = new Float64Array(n);

    this.clock = options.clock ?? Date.now;
    const alwaysOpen = options.alwaysOpen ?? true;
    this.calendarOf = new Int8Array(n).fill(-1);
    for (let i = 0; i < n; i++) {
      const calendar = calendarForExchange(infos[i]!.exchange);
      if (calendar === undefined) continue;
      let k = this.calendars.indexOf(calendar);
      if (k < 0) {
        k = this.calendars.push(calendar) - 1;
        this.calendarOpen.push(true);
        this.calendarRecheckAt.push(alwaysOpen ? Infinity : -Infinity);
      }
      this.calendarOf[i] = k;
    }
    const openTs = options.now ?? Date.now();
    for (let i = 0; i < n; i++) this.open(i, infos[i]!, openTs);
    if (options.history === true) {
      // Its own random stream, so the live quotes do not depend on how much history was made.
      const rng = new Xoshiro128((this.seed ^ 0x9e3779b9) >>> 0);
      const gauss = new GaussianPool(rng);
      for (let i = 0; i < n; i++) this.makeHistory(i, infos[i]!, openTs, alwaysOpen, rng, gauss);
    }
    this.nextArrivalMs = this.rng.nextExponential(this.meanGapMs);
  }

  /** The made-up history (empty unless the history option is on, and once start() has reported it). */
  historySeries(): readonly HistorySeries[] {
    return this.history;
  }

  /** The simulated universe with its model parameters (the sink gets the feed-neutral part). */
  universe(): readonly SimulatedSymbol[] {
    return this.symbolInfos;
  }

  /** The current quote of every symbol: the opening quotes (seq 1) until time advances. */
  snapshot(): Quote[] {
    const out = new Array<Quote>(this.count);
    for (let i = 0; i < this.count; i++) out[i] = this.quoteOf(i);
    return out;
  }

  /**
   * Simulates `ms` milliseconds of real time and returns the ticks that happened, in time order.
   * `now` is the wall-clock time at the end of the interval; each tick's ts is placed inside the
   * interval accordingly. Only `ms` drives the model; `now` labels the output.
   */
  advance(ms: number, now: number): Quote[] {
    if (!(ms >= 0) || !Number.isFinite(ms)) throw new RangeError(`advance: ms must be a finite number >= 0, got ${ms}`);
    const end = this.clockMs + ms;
    const out: Quote[] = [];
    const limit = this.maxTicksPerAdvance;
    let t = this.nextArrivalMs;
    while (t <= end) {
      if (out.length === limit) {
        // Bounded batch: skip the rest of the interval. The next tick of each symbol still spans
        // the skipped time in its GBM step, so prices keep the right distribution.
        t = end + this.rng.nextExponential(this.meanGapMs);
        break;
      }
      const i = this.rng.nextIndex(this.count);
      // Outside its market's hours a symbol does not trade; its next tick spans the closed time,
      // which is how the overnight (or lunch) gap appears.
      if (this.tradingNow(i)) {
        this.step(i, t, now - (end - t));
        out.push(this.quoteOf(i));
      }
      t += this.rng.nextExponential(this.meanGapMs);
    }
    this.nextArrivalMs = t;
    this.clockMs = end;
    return out;
  }

  /**
   * Feed contract v2: reports the universe, the current quotes (the opening quotes, seq 1, unless
   * advance() was called before) and `up`, all synchronously; then drives advance() from a timer
   * every tickIntervalMs with the real elapsed time. The simulator never goes stale or down.
   */
  start(sink: FeedSink): void {
    if (this.started) throw new Error('simulator already started');
    this.started = true;
    if (this.stopped) return; // stopped before it started: nothing to report
    sink.universe(this.symbolInfos.map(neutralInfo));
    if (this.history.length > 0) {
      sink.history?.(this.history);
      // The sink has folded it into its bars: holding the columns any longer would only cost memory.
      this.history.length = 0;
    }
    sink.quotes(this.snapshot());
    sink.status({ state: 'up' });
    let previous = performance.now();
    this.timer = setInterval(() => {
      const current = performance.now();
      const elapsed = Math.min(current - previous, this.maxCatchUpMs);
      previous = current;
      const batch = this.advance(elapsed, Date.now());
      if (batch.length > 0) sink.quotes(batch);
    }, this.tickIntervalMs);
  }

  stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
    return Promise.resolve();
  }

  /** Opening auction: the first quote of each symbol (seq 1), gapped from prevClose. */
  private open(i: number, info: SimulatedSymbol, ts: number): void {
    if (!(info.prevClose > 0) || !Number.isFinite(info.prevClose)) {
      throw new RangeError(`${info.symbol}: prevClose must be a positive number`);
    }
    if (!(info.volatility >= 0) || !Number.isFinite(info.volatility)) {
      throw new RangeError(`${info.symbol}: volatility must be a finite number >= 0`);
    }
    const prev = toCents(info.prevClose);
    const band = priceBand(prev, info.limitPct);
    const china = info.exchange === 'SSE' || info.exchange === 'SZSE';
    const lot = china ? 100 : 1;
    this.prevCents[i] = prev;
    this.downCents[i] = band.downCents;
    this.upCents[i] = band.upCents;
    this.sigmaPerSqrtMs[i] = info.volatility / Math.sqrt(TRADING_MS_PER_YEAR);
    this.lotShares[i] = lot;
    this.extraLotsMean[i] = Math.max(0, TRADE_NOTIONAL / (info.prevClose * lot) - 1);

    const gap = info.volatility * Math.sqrt(OPENING_GAP_YEARS);
    const z = this.gauss.next();
    const fair = (prev / 100) * Math.exp(gap * z - 0.5 * gap * gap);
    const last = this.printCents(i, fair);
    this.openCents[i] = last;
    this.highCents[i] = last;
    this.lowCents[i] = last;
    const spread = spreadTicks(last);
    const bid = bidCents(last, spread, z >= 0, band.downCents, band.upCents);
    this.bidCentsArr[i] = bid;
    this.askCentsArr[i] = bid + spread;
    // The opening auction crosses a larger block than a continuous-trading tick.
    this.volume[i] = lot * (1 + Math.floor(this.rng.nextExponential(10 * (this.extraLotsMean[i] + 1))));
    this.seqs[i] = 1;
    this.stamps[i] = ts;
    this.lastTickClock[i] = 0;
  }

  /** Whether symbol i's market is in continuous trading (always true with alwaysOpen or without a calendar). */
  private tradingNow(i: number): boolean {
    const k = this.calendarOf[i]!;
    if (k < 0) return true;
    if (this.calendarRecheckAt[k] === Infinity) return true;
    const now = this.clock();
    if (now >= this.calendarRecheckAt[k]!) {
      const state = marketStateAt(this.calendars[k]!, now);
      this.calendarOpen[k] = state.state === 'open';
      this.calendarRecheckAt[k] = state.nextChange ?? now + 3_600_000;
    }
    return this.calendarOpen[k]!;
  }

  /**
   * The session so far for symbol i, ending at `now` (history-plan.ts chooses the span and the bar
   * sizes). The walk runs BACKWARDS from the opening print, with its own random stream: the live
   * quotes (their prices, seqs and timing) are exactly those of a simulator without history for the
   * same seed, whatever the time it starts at; only the day's open, high, low and volume, which the
   * history sets, depend on it. A zero-drift random walk is as plausible read backwards as forwards.
   */
  private makeHistory(i: number, info: SimulatedSymbol, now: number, alwaysOpen: boolean, rng: Xoshiro128, gauss: GaussianPool): void {
    const segments = planHistory(historyIntervals(calendarForExchange(info.exchange), now, alwaysOpen), now, this.count);
    if (segments.length === 0) return;
    const perMsTrades = this.ticksPerSecond / this.count / 1000;
    const lot = this.lotShares[i]!;
    const meanLots = this.extraLotsMean[i]! + 1;
    const down = this.downCents[i]!;
    const up = this.upCents[i]!;
    // Consecutive segments of one resolution make one series; columns sized up front (no garbage).
    const runs: { resolutionMs: number; bars: number; segments: HistorySegment[] }[] = [];
    for (const seg of segments) {
      const bars = Math.ceil((seg.end - seg.start) / seg.resolutionMs);
      const run = runs[runs.length - 1];
      if (run !== undefined && run.resolutionMs === seg.resolutionMs) {
        run.bars += bars;
        run.segments.push(seg);
      } else {
        runs.push({ resolutionMs: seg.resolutionMs, bars, segments: [seg] });
      }
    }
    const columns = runs.map((run) => ({ t: new Float64Array(run.bars), o: new Float64Array(run.bars), h: new Float64Array(run.bars), l: new Float64Array(run.bars), c: new Float64Array(run.bars), v: new Float64Array(run.bars) }));
    let fair = this.lastCents[i]! / 100;
    let cents = this.lastCents[i]!;
    let high = cents;
    let low = cents;
    let total = 0;
    for (let r = runs.length - 1; r >= 0; r--) {
      const run = runs[r]!;
      const cols = columns[r]!;
      let n = run.bars;
      for (let g = run.segments.length - 1; g >= 0; g--) {
        const seg = run.segments[g]!;
        const s = this.sigmaPerSqrtMs[i]! * Math.sqrt(seg.resolutionMs / seg.stepsPerBar);
        const first = seg.start + Math.ceil((seg.end - seg.start) / seg.resolutionMs - 1) * seg.resolutionMs;
        for (let t = first; t >= seg.start; t -= seg.resolutionMs) {
          const c = cents;
          let h = c;
          let l = c;
          for (let k = 0; k < seg.stepsPerBar; k++) {
            fair *= Math.exp(s * gauss.next() - 0.5 * s * s);
            cents = Math.min(up, Math.max(down, Math.round(fair * 100)));
            fair = Math.min(up, Math.max(down, fair * 100)) / 100; // pinned at a limit like live prices
            if (cents > h) h = cents;
            if (cents < l) l = cents;
          }
          const barMs = Math.min(seg.resolutionMs, seg.end - t);
          const v = lot * Math.round(perMsTrades * barMs * meanLots * rng.nextExponential(1));
          total += v;
          if (h > high) high = h;
          if (l < low) low = l;
          n--;
          cols.t[n] = t;
          cols.o[n] = cents / 100;
          cols.h[n] = h / 100;
          cols.l[n] = l / 100;
          cols.c[n] = c / 100;
          cols.v[n] = v;
        }
      }
    }
    // The opening auction's volume belongs to the day's first bar.
    columns[0]!.v[0]! += this.volume[i]!;
    total += this.volume[i]!;
    this.openCents[i] = cents;
    // A closed market's quote is its last trade: stamped at the end of the session, not now.
    this.stamps[i] = Math.min(this.stamps[i]!, segments[segments.length - 1]!.end - 1);
    this.highCents[i] = high;
    this.lowCents[i] = low;
    this.volume[i] = total;
    runs.forEach((run, r) => this.history.push({ symbol: info.symbol, resolutionMs: run.resolutionMs, bars: columns[r]!, volume: total }));
  }

  /** One tick of symbol i at simulator clock t (real ms), stamped near wall time `ts`. */
  private step(i: number, t: number, ts: number): void {
    const dtMarketMs = (t - this.lastTickClock[i]) * this.timeScale;
    this.lastTickClock[i] = t;
    const z = this.gauss.next();
    const s = this.sigmaPerSqrtMs[i] * Math.sqrt(dtMarketMs);
    // Exact GBM step with zero drift: the -s^2/2 term keeps the expected price unchanged.
    const last = this.printCents(i, this.fair[i] * Math.exp(s * z - 0.5 * s * s));
    if (last > this.highCents[i]) this.highCents[i] = last;
    if (last < this.lowCents[i]) this.lowCents[i] = last;
    const spread = spreadTicks(last);
    const bid = bidCents(last, spread, z >= 0, this.downCents[i], this.upCents[i]);
    this.bidCentsArr[i] = bid;
    this.askCentsArr[i] = bid + spread;
    this.volume[i] += this.lotShares[i] * (1 + Math.floor(this.rng.nextExponential(this.extraLotsMean[i])));
    this.seqs[i] += 1;
    const stamp = Math.round(ts);
    // Wall clocks can step back (NTP); a symbol's ts never does.
    if (stamp > this.stamps[i]) this.stamps[i] = stamp;
  }

  /** Rounds a fair price to the tick grid, clamps it into the band, stores both, returns cents. */
  private printCents(i: number, fair: number): number {
    let cents = Math.round(fair * 100);
    const down = this.downCents[i];
    const up = this.upCents[i];
    // At a limit the price is pinned there (the limit board "seals"); the fair value is pinned too,
    // so it leaves the limit only when the random walk turns back.
    if (cents > up) {
      cents = up;
      fair = up / 100;
    } else if (cents < down) {
      cents = down;
      fair = down / 100;
    }
    this.fair[i] = fair;
    this.lastCents[i] = cents;
    return cents;
  }

  private quoteOf(i: number): Quote {
    const last = this.lastCents[i];
    const prev = this.prevCents[i];
    return {
      symbol: this.symbols[i],
      last: last / 100,
      bid: this.bidCentsArr[i] / 100,
      ask: this.askCentsArr[i] / 100,
      open: this.openCents[i] / 100,
      high: this.highCents[i] / 100,
      low: this.lowCents[i] / 100,
      prevClose: prev / 100,
      change: (last - prev) / 100,
      changePct: changePctFromCents(last, prev),
      volume: this.volume[i],
      ts: this.stamps[i],
      seq: this.seqs[i],
    };
  }
}

function positive(name: string, value: number, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > max) {
    throw new RangeError(`${name} must be a number in (0, ${max}], got ${String(value)}`);
  }
  return value;
}
