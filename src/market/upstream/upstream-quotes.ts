import type { FeedSink } from '../feed.js';
import { InvalidUpdateError, QuoteNormaliser, type QuoteUpdate } from '../normaliser.js';
import type { SymbolInfo } from '../quote.js';
import { addQuantity } from './parse.js';

/** What an adapter knows about a symbol besides its previous close. */
export type SymbolDescription = Omit<SymbolInfo, 'prevClose'>;

/**
 * The shared normaliser (src/market/normaliser.ts) as an upstream adapter uses it:
 * - symbols can be announced before their first update (so clients can subscribe to a configured
 *   symbol before it trades), with prevClose 0 ("not known yet") unless a hint gave it; the first
 *   update then describes the symbol for real (prevClose = the hint, else its first price) and the
 *   new description is announced;
 * - trade sizes are summed into the cumulative volume without float noise;
 * - invalid updates are dropped and counted, never thrown.
 */
export class UpstreamQuotes {
  private readonly normaliser: QuoteNormaliser;
  private readonly describeSymbol: (symbol: string) => SymbolDescription;
  private readonly announced = new Map<string, SymbolInfo>();
  private readonly prevCloseHints = new Map<string, number>();
  private readonly volumes = new Map<string, number>();
  private readonly onReject: ((error: InvalidUpdateError) => void) | undefined;
  private rejectedCount = 0;

  constructor(describe: (symbol: string) => SymbolDescription, onReject?: (error: InvalidUpdateError) => void) {
    this.describeSymbol = describe;
    this.onReject = onReject;
    this.normaliser = new QuoteNormaliser({
      describe: (symbol, prevClose) => ({ ...describe(symbol), prevClose: this.prevCloseHints.get(symbol) ?? prevClose }),
    });
  }

  /** Updates refused so far. */
  get rejected(): number {
    return this.rejectedCount;
  }

  /** The previous close of a symbol not quoted yet (e.g. Binance's 24 h open); ignored once it is. */
  hintPrevClose(symbol: string, prevClose: number): void {
    if (prevClose > 0 && Number.isFinite(prevClose) && this.normaliser.latest(symbol) === undefined) this.prevCloseHints.set(symbol, prevClose);
  }

  /** The description of a symbol as it would be announced now. */
  infoOf(symbol: string): SymbolInfo {
    const quoted = this.normaliser.latest(symbol);
    return { ...this.describeSymbol(symbol), prevClose: quoted?.prevClose ?? this.prevCloseHints.get(symbol) ?? 0 };
  }

  /** Announces the symbols whose description is new or changed; returns those announced. */
  announce(sink: FeedSink, symbols: Iterable<string>): SymbolInfo[] {
    const changed: SymbolInfo[] = [];
    for (const symbol of symbols) {
      const info = this.infoOf(symbol);
      if (sameInfo(this.announced.get(symbol), info)) continue;
      this.announced.set(symbol, info);
      changed.push(info);
    }
    if (changed.length > 0) sink.universe(changed);
    return changed;
  }

  /** Whether a symbol was announced. */
  isAnnounced(symbol: string): boolean {
    return this.announced.has(symbol);
  }

  /**
   * Normalises updates (a `size` becomes the cumulative volume), announces symbols the normaliser
   * described on the way, reports the quotes. Returns how many quotes were reported.
   */
  deliver(sink: FeedSink, updates: readonly QuoteUpdate[]): number {
    const quotes = [];
    for (const update of updates) {
      let volume: number | undefined;
      if (update.volume === undefined && typeof update.size === 'number' && update.size >= 0) {
        volume = addQuantity(this.volumes.get(update.symbol) ?? 0, update.size);
      }
      try {
        quotes.push(this.normaliser.normalise(volume === undefined ? update : { ...update, size: undefined, volume }));
      } catch (error) {
        if (!(error instanceof InvalidUpdateError)) throw error;
        this.rejectedCount++;
        this.onReject?.(error);
        continue;
      }
      if (volume !== undefined) this.volumes.set(update.symbol, volume);
    }
    const described = this.normaliser.takeNewSymbols().filter((info) => !sameInfo(this.announced.get(info.symbol), info));
    for (const info of described) this.announced.set(info.symbol, info);
    if (described.length > 0) sink.universe(described);
    if (quotes.length > 0) sink.quotes(quotes);
    return quotes.length;
  }
}

function sameInfo(a: SymbolInfo | undefined, b: SymbolInfo): boolean {
  return a !== undefined && a.prevClose === b.prevClose && a.name === b.name && a.exchange === b.exchange && a.currency === b.currency;
}
