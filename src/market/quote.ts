import type { WireQuote } from '../wire/types.js';

/**
 * The quote model shared by every feed and by the hub: exactly the quote of the wire protocol
 * (src/wire/types.ts documents each field), so what a feed produces is what a client receives. Timestamps are milliseconds since the Unix
 * epoch. The simulator prints every price on the 0.01 tick grid as `cents / 100` (so 189.23 never
 * prints as 189.23000000000002); other feeds keep the decimals their source gives (crypto prices
 * have more), and the normaliser computes `change` on those decimals without float noise.
 */
export type Quote = WireQuote;

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
