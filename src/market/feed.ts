import type { Quote, SymbolInfo } from './quote.js';
import type { HistorySeries } from './bars/index.js';

/**
 * Feed contract v2. A feed is a plugin: the server sees only this interface, so a simulator, a file
 * replay, a user module or an upstream connection are interchangeable.
 *
 * A feed is started with a sink and may take its time (connect somewhere, read a file): nothing is
 * asked of it synchronously. It reports, through the sink and in order:
 *  - its universe (symbols it can quote, with descriptions) before the first quote of a symbol;
 *  - batches of full quotes (a `QuoteNormaliser`, normaliser.ts, turns partial updates into them);
 *  - its health: `up` when data flows, `stale` when it is connected but silent, `down` when it lost
 *    its source (each with a human-readable reason).
 * A feed's first quote of each symbol is its opening value (the snapshot the server starts from).
 */
export interface QuoteFeed {
  /** Short name for logs and /healthz, e.g. 'simulator', 'replay', 'module:my-feed'. */
  readonly name: string;
  /** Begins reporting into `sink`. May resolve before the first data arrives. Called once. */
  start(sink: FeedSink): void | Promise<void>;
  /** Stops reporting; resolves once the sink will receive nothing more. Idempotent. */
  stop(): Promise<void>;
  /**
   * Optional: the symbols clients subscribe to explicitly now (the union over every client; a `*`
   * subscription adds nothing). Called when that union changes, never per tick. A feed whose
   * upstream universe is large subscribes upstream to these only (docs/feeds.md).
   */
  interest?(symbols: ReadonlySet<string>): void;
}

export type FeedState = 'up' | 'stale' | 'down';

export interface FeedStatus {
  readonly state: FeedState;
  /** Why the feed is not up (or what brought it back); absent when there is nothing to say. */
  readonly reason?: string;
}

/** Where a feed reports. Every method is synchronous and cheap; call order is delivery order. */
export interface FeedSink {
  /**
   * The feed's universe changed: `added` symbols can now be quoted (re-adding a known symbol updates
   * its description), `removed` ones no longer are. The first call announces the initial universe.
   */
  universe(added: readonly SymbolInfo[], removed?: readonly string[]): void;
  /**
   * Full quotes, in the order they happened; a symbol may repeat within a batch. `seq` must strictly
   * increase per symbol (quotes that break that are dropped and logged). The sink takes ownership of
   * the objects: a feed must not modify a quote after reporting it.
   */
  quotes(batch: readonly Quote[]): void;
  /**
   * Bars from before the live stream (the session so far), so charts are full from the start. Optional
   * for a feed; when it reports history for a symbol it does so after announcing the symbol and before
   * the symbol's first quote. Each series is oldest first; several series of one symbol (coarse older
   * bars, then fine recent ones) come in time order. Optional in this interface only so that sinks
   * written for feed contract v2 (test doubles, wrappers) still fit; the server's sink always has it.
   */
  history?(series: readonly HistorySeries[]): void;
  /** The feed's health changed. */
  status(status: FeedStatus): void;
}

/** What a feed factory receives: its argument from the spec string, and where to log. */
export interface FeedContext {
  /** The part after the kind in `--feed kind:ARG` ('' when absent), e.g. the file of `replay:FILE`. */
  readonly arg: string;
  /** Settings from the server configuration that feeds may honour (simulator seed, symbols, rate). */
  readonly settings: FeedSettings;
  /** Directory relative paths in `arg` are resolved against (the working directory by default). */
  readonly cwd: string;
  readonly logger: FeedLogger;
}

/** Configuration shared by every feed kind (each kind uses what applies to it). */
export interface FeedSettings {
  readonly seed?: number | string;
  /** A universe size (simulator) or a list of symbols. */
  readonly symbols?: number | readonly string[];
  readonly ticksPerSecond?: number;
  /** Simulator: trade around the clock (true, the default) or only in each exchange's hours. */
  readonly alwaysOpen?: boolean;
  /** `replay:FILE`: playback speed, a number > 0 or 'max' (as fast as the sink takes it). Default 1. */
  readonly replaySpeed?: number | 'max';
  /** `replay:FILE`: start over at the end of the file. Default true. */
  readonly replayLoop?: boolean;
  /** Upstream adapters (finnhub, alpaca, binance): the endpoint instead of the provider's (`--feed-url`). */
  readonly feedUrl?: string;
  /** Upstream adapters: the provider's symbols to subscribe to (`--feed-symbols`). */
  readonly feedSymbols?: readonly string[];
  /** Upstream adapters: silence (ms) after which the feed reports `stale` (`--feed-stale-after`). */
  readonly feedStaleAfterMs?: number;
}

export interface FeedLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/**
 * Builds a feed. The default export of a `--feed module:./my-feed.js` module must be one of these.
 * It may be async (read a config, check a connection) and should throw an Error with a clear message
 * for a bad argument: the CLI prints it as one line and exits with code 2.
 */
export type FeedFactory = (context: FeedContext) => QuoteFeed | Promise<QuoteFeed>;

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
  /** Make up the session so far as history bars at start (default true; see SimulatorOptions.history). */
  history?: boolean;
  /** Trade around the clock (default true) or only in each exchange's hours. */
  alwaysOpen?: boolean;
}

/** Options of the NDJSON replay feed (see replay-feed.ts). */
export interface ReplaySpec {
  kind: 'replay';
  /** Path of a CSV or NDJSON recording (relative to context.cwd); docs/market.md has both formats. */
  file: string;
  /** Playback speed: 2 replays twice as fast as recorded. Default 1. */
  speed?: number;
  /** Start over when the file is exhausted. Default false. */
  loop?: boolean;
}

/** Object specs of the built-in kinds, for embedders who prefer them to spec strings. */
export type FeedSpec = SimulatorSpec | ReplaySpec;
