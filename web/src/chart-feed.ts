// What the chart shows and where it comes from: asks the server for the selected symbol's bars (the
// `bars` command on the dashboard's own socket, so the reply sits at an exact place in the stream),
// then folds the quotes that follow by the seam rule (bars.ts). Reloads on a symbol or timeframe
// change, on every (re)connection and on a new stream epoch, so no bar ever bridges two streams.
import { BAR_LIMITS, LiveBars } from './bars.js';
import type { BarsView } from './lazy-chart.js';
import type { BarsCommand, BarsReply, CommandId, Quote, Timeframe } from './wire.js';

/** idle: no symbol; waiting: for a connection; loading: request sent; live: history shown and folding; error: no history. */
export type ChartState = 'idle' | 'waiting' | 'loading' | 'live' | 'error';

export interface ChartFeedOptions {
  panel: BarsView;
  /** Sends the command on the open socket and returns its id, or null when there is no open socket. */
  send(command: BarsCommand): CommandId | null;
  onState(state: ChartState, detail: string): void;
}

export class ChartFeed {
  symbol: string | null = null;
  tf: Timeframe = '1m';
  state: ChartState = 'idle';
  /** The bars shown (null before the first reply for the current symbol and timeframe). */
  live: LiveBars | null = null;
  private pendingId: CommandId | null = null;
  /** Updates folded into the chart since the history was shown. */
  liveUpdates = 0;
  /** How many times history was (re)loaded into the chart: each is a full replacement, never a bridge. */
  loads = 0;

  constructor(private readonly o: ChartFeedOptions) {}

  /** Chart another symbol and/or timeframe: clears the chart and loads its history. */
  show(symbol: string | null, tf: Timeframe): void {
    if (symbol === this.symbol && tf === this.tf && this.state !== 'idle') return;
    this.symbol = symbol;
    this.tf = tf;
    this.reload(false);
  }

  /**
   * Asks for the history again. `keep`: leave the current bars on screen until the reply replaces
   * them (a reconnect within the same stream); otherwise clear at once (a new symbol, timeframe or epoch).
   */
  reload(keep: boolean): void {
    this.pendingId = null;
    if (!keep || this.live === null) {
      this.live = null;
      this.o.panel.clear();
    }
    if (this.symbol === null) {
      this.setState('idle', '');
      return;
    }
    const id = this.o.send({ type: 'bars', symbol: this.symbol, tf: this.tf, limit: BAR_LIMITS[this.tf] });
    if (id === null) {
      // Not connected: the next welcome reloads. Bars kept on screen are dimmed as stale meanwhile.
      this.setState(this.live === null ? 'waiting' : 'live', this.live === null ? 'Waiting for the connection…' : '');
      return;
    }
    this.pendingId = id;
    // While a reload is pending, live folding stops: the reply holds everything up to its offset.
    this.setState(this.live === null ? 'loading' : 'live', this.live === null ? 'Loading history…' : '');
  }

  /** The reply to our `bars` command (a reply to an older request is ignored). */
  handleReply(reply: BarsReply): void {
    if (this.pendingId === null || reply.id !== this.pendingId) return;
    if (reply.symbol !== this.symbol || reply.tf !== this.tf) return;
    this.pendingId = null;
    this.live = new LiveBars(reply);
    this.liveUpdates = 0;
    this.loads++;
    this.o.panel.setBars(this.live.bars, this.tf === '1s' || this.tf === '5s');
    this.setState('live', '');
  }

  /** An error answering our `bars` command: show live bars only, from the next quote on. Returns true when it was ours. */
  handleError(id: CommandId | undefined, code: string, message: string): boolean {
    if (id === undefined || this.pendingId === null || id !== this.pendingId || this.symbol === null) return false;
    this.pendingId = null;
    this.live = new LiveBars({ type: 'bars', symbol: this.symbol, tf: this.tf, epoch: '', offset: -Infinity, seq: 0, volume: Number.NaN, bars: [] });
    this.o.panel.setBars(this.live.bars, this.tf === '1s' || this.tf === '5s');
    this.setState('error', `No history (${code}: ${message}); live bars only`);
    return true;
  }

  /** Quotes of a `quotes` or `snapshot` message, with the stream offset it brings us to. */
  handleQuotes(quotes: readonly Quote[], offset: number | undefined): void {
    const live = this.live;
    if (live === null || this.pendingId !== null || this.symbol === null) return;
    if (!live.isAfterSeam(offset)) return;
    let changed = false;
    for (let i = 0; i < quotes.length; i++) {
      const q = quotes[i]!;
      if (q.symbol !== this.symbol) continue;
      if (live.fold(q) !== 'ignored') changed = true;
    }
    if (!changed) return;
    this.liveUpdates++;
    this.o.panel.barsChanged(live.takeTrimmed());
  }

  private setState(state: ChartState, detail: string): void {
    this.state = state;
    this.o.onState(state, detail);
  }
}
