import type { Quote, SymbolInfo } from './quote.js';

/**
 * A source of quote updates. Feeds are plugins: the hub sees only this interface, so a simulator,
 * a file replay or an upstream connection are interchangeable.
 */
export interface QuoteFeed {
  readonly name: string;
  /** Every symbol the feed can publish, fixed for the feed's lifetime. */
  universe(): readonly SymbolInfo[];
  /** The current quote of every symbol in the universe (seeds the hub's last-value cache). */
  snapshot(): Quote[];
  /** Begin delivering ticks in batches, in order; a symbol may repeat within one batch. */
  start(onBatch: (quotes: readonly Quote[]) => void): void;
  /** Stop delivering; resolves once no further batch will be delivered. */
  stop(): Promise<void>;
}

/** Options of the embedded market simulator (see simulator.ts for the model). */
export interface SimulatorSpec {
  kind: 'simulator';
  /** PRNG seed; the same seed and the same advance() calls give identical quotes. Random if omitted. */
  seed?: number | string;
  /** How many symbols (default universe first, then synthetic SYM00001...) or an explicit list. */
  symbols?: number | string[];
  /** Aggregate tick rate across the whole universe, per second of real time. */
  ticksPerSecond?: number;
  /** Period of the timer that drives start(). */
  tickIntervalMs?: number;
}

/** Options of the NDJSON replay feed (see replay-feed.ts). */
export interface ReplaySpec {
  kind: 'replay';
  /** Path of an NDJSON file, one Quote (or at least symbol, last, ts) per line. */
  file: string;
  /** Playback speed: 2 replays twice as fast as recorded. Default 1. */
  speed?: number;
  /** Start over when the file is exhausted. Default false. */
  loop?: boolean;
}

export type FeedSpec = SimulatorSpec | ReplaySpec;
