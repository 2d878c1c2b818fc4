import type { FeedSpec, QuoteFeed } from './feed.js';
import { MarketSimulator } from './simulator.js';
import { ReplayFeed } from './replay-feed.js';

/** Builds the feed a configuration asks for. The hub depends on QuoteFeed only. */
export function createFeed(spec: FeedSpec): QuoteFeed {
  switch (spec.kind) {
    case 'simulator':
      return new MarketSimulator({
        seed: spec.seed,
        symbols: spec.symbols,
        ticksPerSecond: spec.ticksPerSecond,
        tickIntervalMs: spec.tickIntervalMs,
      });
    case 'replay':
      return new ReplayFeed({ file: spec.file, speed: spec.speed, loop: spec.loop });
    default: {
      const unknown: never = spec;
      throw new TypeError(`unknown feed kind ${JSON.stringify((unknown as { kind?: unknown }).kind)}`);
    }
  }
}
