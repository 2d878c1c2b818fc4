// Public API of the market layer: the quote model, the symbol universe, the feed contract and feeds.
export type { Quote, Exchange, SymbolInfo } from './quote.js';
export type {
  QuoteFeed,
  FeedSink,
  FeedState,
  FeedStatus,
  FeedContext,
  FeedSettings,
  FeedLogger,
  FeedFactory,
  FeedSpec,
  SimulatorSpec,
  ReplaySpec,
} from './feed.js';
export { createFeed, registerFeedKind, feedKinds } from './create-feed.js';
export { FeedSpecError } from './feed-spec-error.js';
export {
  QuoteNormaliser,
  InvalidUpdateError,
  type QuoteUpdate,
  type NormaliserOptions,
} from './normaliser.js';
export {
  DEFAULT_UNIVERSE,
  MAX_UNIVERSE_SIZE,
  buildUniverse,
  describeSymbol,
  findDefaultSymbol,
  neutralInfo,
  syntheticSymbol,
  type SimulatedSymbol,
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
  priceChange,
  type PriceBand,
} from './price-rules.js';
// Bars and exchange calendars: what the history API serves (docs/history.md).
export { BarBook, TIMEFRAMES, TIMEFRAME_MS, TIMEFRAME_CAPACITY, type Bar, type BarsSnapshot, type HistoryBars, type HistorySeries, type Tick, type Timeframe } from './bars/index.js';
export { CALENDARS, calendarForExchange, marketStateAt, type MarketCalendar, type MarketStateAt, type SessionState } from './sessions/index.js';
// The simulator's PRNG stays private (bench/simulator-rate.ts imports it from rng.ts directly).
