// Public API of the market layer: the quote model, the symbol universe and the feeds.
export type { Quote, Exchange, SymbolInfo } from './quote.js';
export type { QuoteFeed, FeedSpec, SimulatorSpec, ReplaySpec } from './feed.js';
export { createFeed } from './create-feed.js';
export {
  DEFAULT_UNIVERSE,
  MAX_UNIVERSE_SIZE,
  buildUniverse,
  describeSymbol,
  findDefaultSymbol,
  syntheticSymbol,
} from './universe.js';
export {
  MarketSimulator,
  DEFAULT_TICKS_PER_SECOND,
  DEFAULT_TICK_INTERVAL_MS,
  TRADING_MS_PER_YEAR,
  type SimulatorOptions,
} from './simulator.js';
export { ReplayFeed, type ReplayOptions } from './replay-feed.js';
export {
  TICK_SIZE,
  SPREAD_FRACTION,
  roundToTick,
  limitPctForSymbol,
  priceBand,
  type PriceBand,
} from './price-rules.js';
export { Xoshiro128, GaussianPool, normaliseSeed } from './rng.js';
