// The bars of the charted symbol: history from the server (the `bars` command), then continued live
// from the quotes that arrive after the reply, by the seam rule (docs/web.md):
//   - only quotes of messages received after the reply are folded (a message whose stream offset is
//     not above the reply's holds nothing the bars do not already contain, and neither does a quote
//     whose seq is not above the reply's `seq`, when the server sends one);
//   - a quote is placed by its `ts` in a bucket of the timeframe (UTC-aligned, as on the server);
//     the newest bar's bucket: high = max, low = min, close = last, volume += its traded quantity;
//     a later bucket: a new bar (open = high = low = close = last, volume = traded); an earlier
//     bucket: ignored (the server already counted it);
//   - traded quantity = cumulative volume − the previous one (the reply's `volume`, then each folded
//     quote's); a volume below the previous one is a new session, whose whole volume is traded.
// No bar is ever built twice and none is skipped, so the chart has no gap and no duplicate at the seam.
import { TIMEFRAME_MS, type Bar, type BarsReply, type Quote, type Timeframe } from './wire.js';

/** What a fold did to the bars. */
export type FoldResult = 'extended' | 'appended' | 'ignored';

/** At most this many bars are kept (the oldest are dropped): a whole day of 1 s bars is not needed. */
const MAX_BARS = 5_000;

export class LiveBars {
  readonly bars: Bar[] = [];
  /** Bars dropped from the front since the last `takeTrimmed()` (the chart then redraws them all). */
  private trimmed = false;
  private previousVolume: number | null;
  readonly symbol: string;
  readonly tf: Timeframe;
  readonly epoch: string;
  /** Stream offset the history is current to: messages at or below it are already in the bars. */
  readonly offset: number;
  /** The symbol's seq the history includes (null when the reply has none). */
  private readonly seq: number | null;
  private readonly tfMs: number;
  /** Quotes folded so far (for the test hook and the readout). */
  folded = 0;

  constructor(reply: BarsReply) {
    this.symbol = reply.symbol;
    this.tf = reply.tf;
    this.epoch = reply.epoch;
    this.offset = reply.offset;
    this.tfMs = TIMEFRAME_MS[reply.tf];
    this.previousVolume = Number.isFinite(reply.volume) ? reply.volume : null;
    this.seq = typeof reply.seq === 'number' ? reply.seq : null;
    // Defensive: keep only well-formed, strictly increasing bars (the chart library requires it).
    for (const b of reply.bars) {
      const last = this.bars[this.bars.length - 1];
      if (!Number.isFinite(b.t) || !Number.isFinite(b.c)) continue;
      if (last !== undefined && b.t <= last.t) continue;
      this.bars.push({ t: b.t, o: b.o, h: b.h, l: b.l, c: b.c, v: b.v });
    }
    if (this.bars.length > MAX_BARS) this.bars.splice(0, this.bars.length - MAX_BARS);
  }

  /** True when a message at this stream offset may hold quotes the bars do not have yet. */
  isAfterSeam(messageOffset: number | undefined): boolean {
    return messageOffset === undefined || !(messageOffset <= this.offset);
  }

  /** Folds one quote of this symbol into the bars (see the seam rule above). */
  fold(q: Quote): FoldResult {
    if (this.seq !== null && q.seq <= this.seq) return 'ignored';
    const bucket = q.ts - (((q.ts % this.tfMs) + this.tfMs) % this.tfMs);
    const last = this.bars[this.bars.length - 1];
    if (last !== undefined && bucket < last.t) return 'ignored';
    const previous = this.previousVolume;
    const traded = previous === null ? 0 : q.volume >= previous ? q.volume - previous : q.volume;
    this.previousVolume = q.volume;
    this.folded++;
    if (last !== undefined && bucket === last.t) {
      if (q.last > last.h) last.h = q.last;
      if (q.last < last.l) last.l = q.last;
      last.c = q.last;
      last.v += traded;
      return 'extended';
    }
    this.bars.push({ t: bucket, o: q.last, h: q.last, l: q.last, c: q.last, v: traded });
    if (this.bars.length > MAX_BARS) {
      this.bars.splice(0, this.bars.length - MAX_BARS);
      this.trimmed = true;
    }
    return 'appended';
  }

  /** True once after bars were dropped from the front. */
  takeTrimmed(): boolean {
    const t = this.trimmed;
    this.trimmed = false;
    return t;
  }
}

/** How many bars to ask for per timeframe: about a trading session at 1 min and 5 min, the last 15 min at 1 s. */
export const BAR_LIMITS: Readonly<Record<Timeframe, number>> = { '1s': 900, '5s': 720, '1m': 600, '5m': 300 };
