import { BarRing } from './bar-ring.js';
import { TIMEFRAMES, TIMEFRAME_CAPACITY, TIMEFRAME_MS, type Bar, type Timeframe } from './timeframes.js';

/**
 * Bars in columns, like TradingView's UDF history response: `t[i]`, `o[i]` ... are bar i. Columns
 * rather than Bar objects because history is large (a day at fine resolution for every symbol) and a
 * feed can fill Float64Arrays without making garbage; plain arrays work too.
 */
export interface HistoryBars {
  readonly t: ArrayLike<number>;
  readonly o: ArrayLike<number>;
  readonly h: ArrayLike<number>;
  readonly l: ArrayLike<number>;
  readonly c: ArrayLike<number>;
  readonly v: ArrayLike<number>;
}

/** Bars of one symbol before the live stream, at one resolution (what a feed reports as history). */
export interface HistorySeries {
  readonly symbol: string;
  /** Duration of each bar, ms: 1,000 or a multiple of it (bars feed every timeframe it divides). */
  readonly resolutionMs: number;
  /** Oldest first, each `t` aligned to resolutionMs, strictly increasing. */
  readonly bars: HistoryBars;
  /** The symbol's cumulative volume at the end of these bars (so the first live tick's bar volume is right). */
  readonly volume?: number;
}

/** The bars of a whole book in a compact, JSON-safe form (what stream snapshots carry to other processes). */
export interface BarsSnapshot {
  readonly symbols: Readonly<Record<string, SymbolBarsSnapshot>>;
}

export interface SymbolBarsSnapshot {
  /** The symbol's cumulative volume at the snapshot (bar volumes are differences of it). */
  readonly volume: number;
  /** Seq of the symbol's last quote in these bars (0: none): a quote not newer is already counted. */
  readonly seq?: number;
  /** Per timeframe, bars flattened as t, o, h, l, c, v, t, ... oldest first (a Float64Array from snapshot()). */
  readonly bars: Readonly<Partial<Record<Timeframe, ArrayLike<number>>>>;
}

class SymbolBars {
  readonly rings: BarRing[] = TIMEFRAMES.map((tf) => new BarRing(TIMEFRAME_CAPACITY[tf]));
  /** Cumulative volume of the last trade folded in; NaN before the first. */
  volume = Number.NaN;
  /** Seq of the last quote folded in (0: none). */
  seq = 0;
}

const MS = TIMEFRAMES.map((tf) => TIMEFRAME_MS[tf]);

/**
 * OHLCV bars of every symbol at every timeframe (timeframes.ts), built once per tick in the server,
 * never per client. A tick is folded by its own timestamp: bar start = ts rounded down to the
 * timeframe (UTC-aligned, so every process and every client computes the same buckets). The bar's
 * volume is the growth of the quote's cumulative volume; a volume that goes down starts a new
 * session (its whole value is traded in this bar). A tick older than the newest bar (a feed that
 * reorders) adds its volume to the newest bar without moving its prices: bars never get rewritten.
 */
export class BarBook {
  private readonly symbols = new Map<string, SymbolBars>();

  /**
   * Folds a trade at `ts` with price `last` and cumulative `volume` into every timeframe. A quote
   * whose `seq` is not above the last one folded is already counted and changes nothing, so bars
   * restored from another process's snapshot and the stream that follows never count a tick twice.
   */
  apply(symbol: string, ts: number, last: number, volume: number, seq: number): void {
    let s = this.symbols.get(symbol);
    if (s === undefined) this.symbols.set(symbol, (s = new SymbolBars()));
    if (seq <= s.seq) return;
    s.seq = seq;
    const prev = s.volume;
    const traded = Number.isNaN(prev) ? 0 : volume >= prev ? volume - prev : volume;
    s.volume = volume;
    const rings = s.rings;
    for (let k = 0; k < rings.length; k++) {
      const ms = MS[k]!;
      rings[k]!.fold(ts - (ts % ms), last, traded);
    }
  }

  /**
   * Adds bars from before the live stream (a feed's history), oldest first. Each timeframe that the
   * resolution divides takes them (1 s bars build every timeframe; 15 s bars build 1 min and 5 min).
   * History comes before the symbol's live ticks; a bar older than a timeframe's newest is skipped there.
   */
  addHistory(series: HistorySeries): void {
    const { symbol, resolutionMs, bars } = series;
    if (!(resolutionMs >= 1000) || resolutionMs % 1000 !== 0) throw new RangeError(`history resolution must be a multiple of 1000 ms, got ${resolutionMs}`);
    let s = this.symbols.get(symbol);
    if (s === undefined) this.symbols.set(symbol, (s = new SymbolBars()));
    for (let k = 0; k < s.rings.length; k++) {
      const ms = MS[k]!;
      if (ms < resolutionMs || ms % resolutionMs !== 0) continue;
      const ring = s.rings[k]!;
      const { t, o, h, l, c, v } = bars;
      for (let i = 0; i < t.length; i++) {
        const start = t[i]! - (t[i]! % ms);
        const newest = ring.lastStart;
        if (start > newest) ring.push(start, o[i]!, h[i]!, l[i]!, c[i]!, v[i]!);
        else if (start === newest) ring.updateLast(h[i]!, l[i]!, c[i]!, v[i]!);
      }
    }
    if (series.volume !== undefined) s.volume = series.volume;
  }

  /** The newest `limit` bars of a symbol at a timeframe, oldest first ([] when it has none). */
  bars(symbol: string, tf: Timeframe, limit: number): Bar[] {
    const s = this.symbols.get(symbol);
    return s === undefined ? [] : s.rings[TIMEFRAMES.indexOf(tf)]!.last(limit);
  }

  /** Bars of a timeframe that start after `t`, flattened like a snapshot (what changed since a flush at `t`). */
  newerThan(symbol: string, tf: Timeframe, t: number): Float64Array {
    const s = this.symbols.get(symbol);
    return s === undefined ? new Float64Array(0) : s.rings[TIMEFRAMES.indexOf(tf)]!.newerThan(t);
  }

  /** Seq of the symbol's last quote folded in (0: none). */
  seq(symbol: string): number {
    return this.symbols.get(symbol)?.seq ?? 0;
  }

  /** The symbol's cumulative volume as of the newest tick folded in (0 when none). */
  volume(symbol: string): number {
    const v = this.symbols.get(symbol)?.volume;
    return v === undefined || Number.isNaN(v) ? 0 : v;
  }

  delete(symbol: string): void {
    this.symbols.delete(symbol);
  }

  clear(): void {
    this.symbols.clear();
  }

  get symbolCount(): number {
    return this.symbols.size;
  }

  snapshot(): BarsSnapshot {
    const symbols: Record<string, SymbolBarsSnapshot> = {};
    for (const [symbol, s] of this.symbols) {
      const bars: Partial<Record<Timeframe, Float64Array>> = {};
      TIMEFRAMES.forEach((tf, k) => {
        if (s.rings[k]!.size > 0) bars[tf] = s.rings[k]!.toFlat();
      });
      symbols[symbol] = { volume: Number.isNaN(s.volume) ? 0 : s.volume, seq: s.seq, bars };
    }
    return { symbols };
  }

  /** Replaces the whole book with a snapshot's bars. Throws RangeError on a malformed snapshot (the book is then unchanged). */
  restore(snapshot: BarsSnapshot): void {
    const next = new Map<string, SymbolBars>();
    for (const [symbol, snap] of Object.entries(snapshot.symbols)) {
      const s = new SymbolBars();
      s.volume = snap.volume;
      s.seq = snap.seq ?? 0;
      TIMEFRAMES.forEach((tf, k) => {
        const flat = snap.bars[tf];
        if (flat !== undefined) s.rings[k] = BarRing.fromFlat(flat, TIMEFRAME_CAPACITY[tf]);
      });
      next.set(symbol, s);
    }
    this.symbols.clear();
    for (const [symbol, s] of next) this.symbols.set(symbol, s);
  }
}
