import type { FeedStatus, SymbolInfo } from '../market/index.js';
import { BarBook, TickRing, type HistorySeries } from '../market/bars/index.js';
import type { StreamQuote, StreamSnapshot } from './stream.js';

/** What a reset changed, so a consumer can tell its clients exactly that. */
export interface ResetOutcome {
  /** The epoch differs from the one held before (false for the very first reset too: see `first`). */
  readonly epochChanged: boolean;
  /** This was the first reset: there was no state before. */
  readonly first: boolean;
  /** Quotes of the snapshot newer than what was held (same epoch), or every quote (new epoch). */
  readonly changed: readonly StreamQuote[];
  readonly added: readonly SymbolInfo[];
  readonly removed: readonly string[];
}

/** Ticks kept per symbol for GET /api/ticks (48 bytes each). */
export const TICKS_PER_SYMBOL = 200;

export interface StreamStateOptions {
  /**
   * Keep bars and recent ticks (default true). The head of a single-process server turns it off: its
   * only consumer is the hub, which keeps its own, so they are not built twice per tick.
   */
  readonly history?: boolean;
}

export const INITIAL_STATUS: FeedStatus = Object.freeze({ state: 'down', reason: 'waiting for the feed' });

/**
 * The state of one stream: universe, latest quote per symbol, epoch, offset and feed status. The
 * single source of truth wherever a stream is held: beside the feed (to serve late joiners), in the
 * hub (the quote cache clients are served from), in the REST routes.
 *
 * Symbols are matched case-insensitively on lookup ('aapl' finds 'AAPL') but kept as the feed spells them.
 */
export class StreamState {
  epoch = '';
  offset = 0;
  status: FeedStatus = INITIAL_STATUS;
  private readonly infos = new Map<string, SymbolInfo>();
  private readonly upper = new Map<string, string>();
  private readonly latest = new Map<string, StreamQuote>();
  private initialised = false;
  /** OHLCV bars of every symbol, built once per tick here (null when history is off). */
  readonly bars: BarBook | null;
  private readonly ticks: Map<string, TickRing> | null;

  constructor(options: StreamStateOptions = {}) {
    const history = options.history ?? true;
    this.bars = history ? new BarBook() : null;
    this.ticks = history ? new Map() : null;
  }

  /** The canonical spelling of a known symbol, or undefined. */
  resolve(raw: string): string | undefined {
    if (this.infos.has(raw)) return raw;
    return this.upper.get(raw.toUpperCase());
  }

  has(symbol: string): boolean {
    return this.infos.has(symbol);
  }

  get size(): number {
    return this.infos.size;
  }

  symbols(): IterableIterator<string> {
    return this.infos.keys();
  }

  universe(): SymbolInfo[] {
    return [...this.infos.values()];
  }

  last(symbol: string): StreamQuote | undefined {
    return this.latest.get(symbol);
  }

  /** Latest quote of every symbol that has one. */
  quotes(): StreamQuote[] {
    return [...this.latest.values()];
  }

  /**
   * The state at this offset; with the bars when this state keeps them and `withBars` is not false
   * (another process starting from it needs them; a resynchronisation can do without: they can be
   * megabytes, and the quotes it carries continue the bars the receiver already has).
   */
  snapshot(withBars = true): StreamSnapshot {
    const base = { epoch: this.epoch, offset: this.offset, universe: this.universe(), quotes: this.quotes(), status: this.status };
    return this.bars === null || !withBars ? base : { ...base, bars: this.bars.snapshot() };
  }

  /** The newest `limit` ticks of a symbol, oldest first. */
  recentTicks(symbol: string, limit: number): ReturnType<TickRing['last']> {
    return this.ticks?.get(symbol)?.last(limit) ?? [];
  }

  /** Bars from before the live stream (FeedSink.history), folded into the bar book. */
  applyHistory(series: readonly HistorySeries[]): void {
    if (this.bars === null) return;
    for (const s of series) if (this.infos.has(s.symbol)) this.bars.addHistory(s);
  }

  /** Adds or re-describes symbols, drops removed ones (and their last values). Returns the really removed. */
  applyUniverse(added: readonly SymbolInfo[], removed: readonly string[] = []): string[] {
    for (const info of added) {
      this.infos.set(info.symbol, info);
      this.upper.set(info.symbol.toUpperCase(), info.symbol);
    }
    const gone: string[] = [];
    for (const symbol of removed) {
      if (!this.infos.delete(symbol)) continue;
      this.latest.delete(symbol);
      this.bars?.delete(symbol);
      this.ticks?.delete(symbol);
      if (this.upper.get(symbol.toUpperCase()) === symbol) this.upper.delete(symbol.toUpperCase());
      gone.push(symbol);
    }
    return gone;
  }

  /**
   * Records a quote if it is newer than the one held (seq strictly higher); returns false otherwise.
   * The offset advances with every accepted quote's own offset.
   */
  applyQuote(q: StreamQuote): boolean {
    const prev = this.latest.get(q.symbol);
    if (prev !== undefined && q.seq <= prev.seq) return false;
    this.latest.set(q.symbol, q);
    if (q.offset > this.offset) this.offset = q.offset;
    if (this.bars !== null) {
      this.bars.apply(q.symbol, q.ts, q.last, q.volume, q.seq);
      let ring = this.ticks!.get(q.symbol);
      if (ring === undefined) this.ticks!.set(q.symbol, (ring = new TickRing(TICKS_PER_SYMBOL)));
      ring.push(q.ts, q.last, q.bid, q.ask, q.volume, q.seq);
    }
    return true;
  }

  /**
   * Replaces the state with a snapshot. In a new epoch everything is replaced. In the same epoch
   * (a resynchronisation after lost data) only newer quotes are taken, so no symbol's seq ever goes back.
   */
  reset(snapshot: StreamSnapshot): ResetOutcome {
    const first = !this.initialised;
    const epochChanged = !first && snapshot.epoch !== this.epoch;
    this.initialised = true;
    const sameEpoch = !first && !epochChanged;
    const incoming = new Set(snapshot.universe.map((info) => info.symbol));
    const removed = [...this.infos.keys()].filter((symbol) => !incoming.has(symbol));
    const added = snapshot.universe.filter((info) => !this.infos.has(info.symbol));
    this.applyUniverse(snapshot.universe, removed);
    if (!sameEpoch) {
      this.latest.clear();
      this.ticks?.clear();
    }
    // Bars come with the snapshot when its sender keeps them (they then match its offset exactly);
    // otherwise another epoch's bars are of another stream and go, and the same epoch's stay.
    if (this.bars !== null) {
      if (snapshot.bars !== undefined) this.bars.restore(snapshot.bars);
      else if (!sameEpoch) this.bars.clear();
    }
    const changed: StreamQuote[] = [];
    for (const q of snapshot.quotes) {
      if (!this.infos.has(q.symbol)) continue;
      const prev = this.latest.get(q.symbol);
      if (prev !== undefined && q.seq <= prev.seq) continue;
      this.latest.set(q.symbol, q);
      changed.push(q);
      // A quote newer than what the bars hold (none came with the snapshot, or they were saved a moment
      // before it: a broker's) is the best we know of the ticks in between; bars skip what they have.
      this.bars?.apply(q.symbol, q.ts, q.last, q.volume, q.seq);
    }
    this.epoch = snapshot.epoch;
    this.offset = sameEpoch ? Math.max(this.offset, snapshot.offset) : snapshot.offset;
    this.status = snapshot.status;
    return { epochChanged, first, changed, added, removed };
  }
}
