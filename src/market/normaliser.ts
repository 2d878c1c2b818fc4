import type { FeedSink } from './feed.js';
import type { Quote, SymbolInfo } from './quote.js';
import { midPrice, priceChange } from './price-rules.js';
import { MAX_UNIVERSE_SIZE } from './universe.js';

/**
 * Turns the partial updates real sources send (a trade here, a new bid there) into the full,
 * consistent Quotes the feed contract asks for. One per feed; it keeps each symbol's last quote.
 *
 * Rules (docs/market.md, "The normaliser", has the table):
 * - prevClose: the symbol's SymbolInfo; for a symbol the normaliser describes itself, the first
 *   update's `prevClose`, else its first price. open: the first trade (`last`), or the first
 *   update's `open`. high/low: running extremes of last (and of any `high`/`low` given).
 * - A trade (`last`) with no book: the previous bid/ask if they still bracket it, else bid = ask =
 *   last (nothing is invented). A trade with a book in the same update: the book is widened just
 *   enough to bracket the trade, which is a fact.
 * - A book (`bid`/`ask`) with no trade: before the first trade last is the mid (an indicative
 *   price, and open = high = low = last until the first trade opens the session); after it, last
 *   stays, moved to the nearest side if the new book no longer brackets it.
 * - volume: `volume` (cumulative) if given, else previous + `size`; never decreases. ts: `ts` or
 *   now, never decreasing. seq: 1, 2, 3 ... per symbol. change/changePct: priceChange().
 * - Prices are kept with the decimals the source gives; only change is computed on their grid.
 * Bad input (NaN, infinities, zero or negative prices, a crossed book in one update, a symbol's
 * first update without a price) is an InvalidUpdateError from normalise(); normaliseAll() and
 * deliver() drop such updates and count them in `rejected`.
 */

/** A partial update from a source. Absent (or null) fields are derived from the symbol's state. */
export interface QuoteUpdate {
  readonly symbol: string;
  /** Price of a trade: its presence makes the update a trade. */
  readonly last?: number;
  readonly bid?: number;
  readonly ask?: number;
  /** Quantity of this trade, added to the cumulative volume (ignored when `volume` is given). */
  readonly size?: number;
  /** Cumulative session volume, when the source reports it. */
  readonly volume?: number;
  /** Epoch milliseconds; now when absent. */
  readonly ts?: number;
  /** Session values some sources (and recordings) carry; see the rules above for when they count. */
  readonly prevClose?: number;
  readonly open?: number;
  readonly high?: number;
  readonly low?: number;
}

/** An update the normaliser refuses; the message names the symbol and the field. */
export class InvalidUpdateError extends Error {
  override readonly name = 'InvalidUpdateError';
}

export interface NormaliserOptions {
  /** Symbols the feed already described (and announced itself): their prevClose is the reference. */
  universe?: readonly SymbolInfo[];
  /** Describes a symbol seen for the first time. Default: name = symbol, exchange and currency ''. */
  describe?: (symbol: string, prevClose: number) => SymbolInfo;
  /** Clock for updates without ts. Default Date.now. */
  now?: () => number;
  /** Most symbols tracked; updates for further new symbols are refused. Default 1,000,000. */
  maxSymbols?: number;
  /** Told about every update normaliseAll() or deliver() drops (for a rate-limited log line). */
  onReject?: (error: InvalidUpdateError, update: unknown) => void;
}

interface SymbolState {
  quote: Quote;
  /** False until the first trade: last is then the book's mid, and the first trade sets open. */
  traded: boolean;
}

/** The numeric fields of an update after validation: numbers or undefined, nothing else. */
type Checked = { -readonly [K in keyof QuoteUpdate]: QuoteUpdate[K] };

const PRICE_FIELDS = ['last', 'bid', 'ask', 'prevClose', 'open', 'high', 'low'] as const;
const QUANTITY_FIELDS = ['size', 'volume'] as const;

export class QuoteNormaliser {
  private readonly states = new Map<string, SymbolState>();
  private readonly infos = new Map<string, SymbolInfo>();
  private readonly describe: (symbol: string, prevClose: number) => SymbolInfo;
  private readonly now: () => number;
  private readonly maxSymbols: number;
  private readonly onReject: ((error: InvalidUpdateError, update: unknown) => void) | undefined;
  private added: SymbolInfo[] = [];
  private rejectedCount = 0;

  constructor(options: NormaliserOptions = {}) {
    for (const info of options.universe ?? []) this.infos.set(info.symbol, info);
    this.describe = options.describe ?? minimalInfo;
    this.now = options.now ?? Date.now;
    this.maxSymbols = options.maxSymbols ?? MAX_UNIVERSE_SIZE;
    this.onReject = options.onReject;
  }

  /** Updates dropped by normaliseAll() and deliver() so far. */
  get rejected(): number {
    return this.rejectedCount;
  }

  /** The full quote for one update, or an InvalidUpdateError (and no state change) for a bad one. */
  normalise(update: QuoteUpdate): Quote {
    const u = check(update);
    const state = this.states.get(u.symbol);
    if (state === undefined && u.last === undefined && u.bid === undefined && u.ask === undefined) {
      throw new InvalidUpdateError(`${u.symbol}: "last" (or "bid"/"ask") is required in a symbol's first update`);
    }
    let info = this.infos.get(u.symbol);
    let described = false;
    if (info === undefined) {
      if (this.infos.size >= this.maxSymbols) throw new InvalidUpdateError(`${u.symbol}: more than ${this.maxSymbols} symbols`);
      const firstPrice = u.last ?? (u.bid !== undefined && u.ask !== undefined ? midPrice(u.bid, u.ask) : (u.bid ?? u.ask)!);
      info = this.describe(u.symbol, u.prevClose ?? firstPrice);
      described = true;
    }
    const next = nextState(state, u, info.prevClose, u.ts ?? this.now());
    // Commit only now: a refused update leaves no trace.
    this.states.set(u.symbol, next);
    if (described) {
      this.infos.set(u.symbol, info);
      this.added.push(info);
    }
    return next.quote;
  }

  /** Normalises every valid update; invalid ones are dropped, counted and passed to onReject. */
  normaliseAll(updates: Iterable<QuoteUpdate>): Quote[] {
    const out: Quote[] = [];
    for (const update of updates) {
      try {
        out.push(this.normalise(update));
      } catch (error) {
        if (!(error instanceof InvalidUpdateError)) throw error;
        this.rejectedCount++;
        this.onReject?.(error, update);
      }
    }
    return out;
  }

  /**
   * What a feed usually wants: normalise a batch (dropping bad updates), announce the symbols it
   * described on the way with sink.universe(), then report the quotes. Returns the quotes reported.
   */
  deliver(sink: FeedSink, updates: Iterable<QuoteUpdate>): number {
    const quotes = this.normaliseAll(updates);
    const added = this.takeNewSymbols();
    if (added.length > 0) sink.universe(added);
    if (quotes.length > 0) sink.quotes(quotes);
    return quotes.length;
  }

  /** Symbols described since the last call (not those given in options.universe), in order of first update. */
  takeNewSymbols(): SymbolInfo[] {
    const added = this.added;
    this.added = [];
    return added;
  }

  /** Every known symbol: options.universe first, then described ones in order of first update. */
  universe(): SymbolInfo[] {
    return [...this.infos.values()];
  }

  /** The last quote produced for a symbol. */
  latest(symbol: string): Quote | undefined {
    return this.states.get(symbol)?.quote;
  }
}

function minimalInfo(symbol: string, prevClose: number): SymbolInfo {
  return { symbol, name: symbol, exchange: '', currency: '', prevClose };
}

/** The next state of a symbol from a validated update (pure: `previous` is not modified). */
function nextState(previous: SymbolState | undefined, u: Checked, prevClose: number, now: number): SymbolState {
  const prev = previous?.quote;
  // The book: sides given are new; a side not given keeps its value unless it would cross the new one.
  let bid = u.bid ?? prev?.bid;
  let ask = u.ask ?? prev?.ask;
  if (u.bid !== undefined && u.ask === undefined && ask !== undefined && ask < u.bid) ask = u.bid;
  if (u.ask !== undefined && u.bid === undefined && bid !== undefined && bid > u.ask) bid = u.ask;
  bid ??= ask;
  ask ??= bid;

  const trade = u.last !== undefined;
  const opened = previous?.traded ?? false;
  let last: number;
  if (u.last !== undefined) {
    last = u.last;
    if (bid === undefined || ask === undefined) {
      bid = ask = last;
    } else if (u.bid !== undefined || u.ask !== undefined) {
      bid = Math.min(bid, last);
      ask = Math.max(ask, last);
    } else if (!(bid <= last && last <= ask)) {
      bid = ask = last;
    }
  } else if (bid === undefined || ask === undefined) {
    // Unreachable: normalise() refuses a first update without a price, and every quote has a book.
    throw new InvalidUpdateError(`${u.symbol}: no price known`);
  } else if (!opened) {
    last = midPrice(bid, ask);
  } else {
    last = Math.min(Math.max(prev!.last, bid), ask);
  }

  let open: number;
  let high: number;
  let low: number;
  if (trade && !opened) {
    open = u.open ?? last;
    high = Math.max(open, last, u.high ?? last);
    low = Math.min(open, last, u.low ?? last);
  } else if (!opened) {
    open = high = low = last;
  } else {
    open = prev!.open;
    high = Math.max(prev!.high, last, u.high ?? last);
    low = Math.min(prev!.low, last, u.low ?? last);
  }

  const previousVolume = prev?.volume ?? 0;
  const volume = u.volume !== undefined ? Math.max(previousVolume, u.volume) : previousVolume + (u.size ?? 0);
  const { change, changePct } = priceChange(last, prevClose);
  const quote: Quote = {
    symbol: u.symbol,
    last,
    bid,
    ask,
    open,
    high,
    low,
    prevClose,
    change,
    changePct,
    volume,
    ts: prev === undefined ? now : Math.max(prev.ts, now),
    seq: (prev?.seq ?? 0) + 1,
  };
  return { quote, traded: opened || trade };
}

/** Validates an update from an untyped source; null counts as absent. */
function check(update: QuoteUpdate): Checked {
  if (typeof update !== 'object' || update === null) throw new InvalidUpdateError(`an update must be an object, got ${show(update)}`);
  const symbol: unknown = update.symbol;
  if (typeof symbol !== 'string' || symbol === '') throw new InvalidUpdateError(`"symbol" must be a non-empty string, got ${show(symbol)}`);
  const out: Checked = { symbol };
  const fields = update as unknown as Record<string, unknown>;
  for (const key of PRICE_FIELDS) {
    const value = fields[key];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      throw new InvalidUpdateError(`${symbol}: "${key}" must be a positive price, got ${show(value)}`);
    }
    out[key] = value;
  }
  for (const key of QUANTITY_FIELDS) {
    const value = fields[key];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new InvalidUpdateError(`${symbol}: "${key}" must be a finite number >= 0, got ${show(value)}`);
    }
    out[key] = value;
  }
  const ts = fields['ts'];
  if (ts !== undefined && ts !== null) {
    if (typeof ts !== 'number' || !Number.isFinite(ts) || ts < 0) {
      throw new InvalidUpdateError(`${symbol}: "ts" must be epoch milliseconds, got ${show(ts)}`);
    }
    out.ts = ts;
  }
  if (out.bid !== undefined && out.ask !== undefined && out.bid > out.ask) {
    throw new InvalidUpdateError(`${symbol}: crossed book, bid ${out.bid} above ask ${out.ask}`);
  }
  if (out.last === undefined && out.bid === undefined && out.ask === undefined && out.size === undefined && out.volume === undefined) {
    throw new InvalidUpdateError(`${symbol}: the update has none of "last", "bid", "ask", "size", "volume"`);
  }
  return out;
}

function show(value: unknown): string {
  return typeof value === 'number' ? String(value) : (JSON.stringify(value) ?? String(value));
}
