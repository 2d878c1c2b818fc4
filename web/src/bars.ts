// Intraday bars built in the browser from the ticks it receives (seeded from the snapshot).
// Times are seconds shifted into the viewer's time zone, because lightweight-charts renders UTC.

export interface Bar {
  time: number;
  open: number;
  high: number;
  low: number;
  close: number;
}

/** Bar sizes kept for every watched symbol, in seconds. */
export const RESOLUTIONS = [5, 60] as const;
export type Resolution = (typeof RESOLUTIONS)[number];

/** Bounded history: 5 s bars for 2 hours, 1 min bars for 12 hours. */
const CAPACITY: Record<Resolution, number> = { 5: 1440, 60: 720 };

/** The zone offset is looked up at most once a minute (DST changes are still honoured), not per tick. */
let offsetSeconds = 0;
let offsetCheckedAt = -Infinity;

function localSeconds(epochMs: number): number {
  if (epochMs - offsetCheckedAt > 60_000 || epochMs < offsetCheckedAt) {
    // getTimezoneOffset is minutes *behind* UTC.
    offsetSeconds = -new Date(epochMs).getTimezoneOffset() * 60;
    offsetCheckedAt = epochMs;
  }
  return Math.floor(epochMs / 1000) + offsetSeconds;
}

export class BarSeries {
  readonly bars: Bar[] = [];
  constructor(readonly resolution: Resolution) {}

  /** Folds one price into the series; returns the bar that changed. */
  add(epochMs: number, price: number): Bar {
    const time = Math.floor(localSeconds(epochMs) / this.resolution) * this.resolution;
    const last = this.bars[this.bars.length - 1];
    if (last !== undefined && time <= last.time) {
      // Same bucket (or a late tick, which is folded into the newest bar so times stay increasing).
      if (price > last.high) last.high = price;
      if (price < last.low) last.low = price;
      last.close = price;
      return last;
    }
    const bar: Bar = { time, open: last?.close ?? price, high: price, low: price, close: price };
    if (bar.open > bar.high) bar.high = bar.open;
    if (bar.open < bar.low) bar.low = bar.open;
    this.bars.push(bar);
    if (this.bars.length > CAPACITY[this.resolution]) this.bars.splice(0, this.bars.length - CAPACITY[this.resolution]);
    return bar;
  }
}

/** Both resolutions for every watched symbol, plus the last seq folded in (ticks can repeat in snapshots). */
export class BarStore {
  private readonly series = new Map<string, { seq: number; byResolution: Record<Resolution, BarSeries> }>();

  /** Returns true when the quote was new for this symbol. */
  add(symbol: string, seq: number, epochMs: number, price: number): boolean {
    let entry = this.series.get(symbol);
    if (entry === undefined) {
      entry = { seq: -Infinity, byResolution: { 5: new BarSeries(5), 60: new BarSeries(60) } };
      this.series.set(symbol, entry);
    }
    if (seq <= entry.seq) return false;
    entry.seq = seq;
    entry.byResolution[5].add(epochMs, price);
    entry.byResolution[60].add(epochMs, price);
    return true;
  }

  get(symbol: string, resolution: Resolution): readonly Bar[] {
    return this.series.get(symbol)?.byResolution[resolution].bars ?? [];
  }

  /** A restarted server may start its sequence numbers over: accept whatever comes next. */
  resetSequences(): void {
    for (const entry of this.series.values()) entry.seq = -Infinity;
  }

  /** A new stream epoch: bars of the old one must not be extended across the break. */
  clear(): void {
    this.series.clear();
  }

  delete(symbol: string): void {
    this.series.delete(symbol);
  }
}
