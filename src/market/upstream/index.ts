// Upstream adapters: real market data from provider WebSocket APIs, as feed kinds (docs/feeds.md).
export { FinnhubFeed, type FinnhubFeedOptions } from './finnhub-feed.js';
export { AlpacaFeed, type AlpacaFeedOptions } from './alpaca-feed.js';
export { BinanceFeed, type BinanceFeedOptions } from './binance-feed.js';
export { UpstreamFeed, type UpstreamFeedOptions, DEFAULT_STALE_AFTER_MS, DEFAULT_AUTH_RETRY_MS } from './upstream-feed.js';
export { UpstreamConnection, type UpstreamConnectionOptions, type UpstreamEvents, type UpstreamLink, type UpstreamFailure } from './upstream-connection.js';
export { InterestTracker, type InterestOptions } from './interest.js';
export { SendLimiter } from './send-limiter.js';
export { Backoff, type BackoffOptions } from './backoff.js';
export { hasUpstreamStats, type UpstreamStats, type UpstreamStatsSource } from './upstream-stats.js';
export { redactSecrets } from './redact.js';
export { finnhubKind, alpacaKind, binanceKind } from './upstream-kinds.js';
