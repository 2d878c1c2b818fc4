/**
 * The quote model shared by every feed and by the hub. Timestamps are milliseconds since the Unix
 * epoch. The simulator prints every price on the 0.01 tick grid as `cents / 100` (so 189.23 never
 * prints as 189.23000000000002); other feeds keep the decimals their source gives (crypto prices
 * have more), and the normaliser computes `change` on those decimals without float noise.
 */
export interface Quote {
  symbol: string;
  last: number;
  /** Best bid; bid <= last <= ask always. */
  bid: number;
  ask: number;
  open: number;
  high: number;
  low: number;
  prevClose: number;
  /** last - prevClose, on the prices' own decimal grid (0.01 for stocks). */
  change: number;
  /** (last - prevClose) / prevClose * 100, rounded to 2 decimals. */
  changePct: number;
  /** Cumulative quantity traded in the session. Never decreases. */
  volume: number;
  /** Never decreases per symbol. */
  ts: number;
  /** Per-symbol sequence number, strictly increasing from 1. */
  seq: number;
}

/** The exchanges the simulator knows (a feed may report any exchange name in SymbolInfo). */
export type Exchange = 'NASDAQ' | 'NYSE' | 'SSE' | 'SZSE';

/**
 * What a feed tells about a symbol it can quote. Feed-neutral: an upstream or a user module fills it
 * from whatever reference data it has ('' where it knows nothing, e.g. an unknown exchange).
 */
export interface SymbolInfo {
  symbol: string;
  /** Display name; the symbol itself when the feed has no better one. */
  name: string;
  /** Exchange or venue, e.g. 'NASDAQ', 'SSE', 'COINBASE'. */
  exchange: string;
  /** ISO 4217 code or the quote asset, e.g. 'USD', 'CNY', 'USDT'. */
  currency: string;
  /** Previous session's close: the reference of change and changePct. */
  prevClose: number;
}
