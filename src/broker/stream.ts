import type { FeedStatus, Quote, SymbolInfo } from '../market/index.js';
import type { BarsSnapshot, HistorySeries } from '../market/bars/index.js';

/**
 * The stream contract: how one market reaches every process that serves it.
 *
 * A stream has an identity. Its **epoch** is an id made when the stream's feed starts (in the
 * process that runs the feed: `serve`, the cluster primary, or `ingest`); every quote it carries has a
 * stream **offset**, strictly increasing by one within the epoch across all symbols. So
 * `(epoch, symbol, seq)` names one quote everywhere, and `(epoch, offset)` says "everything up to
 * here" with one value. Offsets are the same in every process that reads the stream.
 */

/** A quote with its position in the stream. */
export interface StreamQuote extends Quote {
  readonly offset: number;
}

/** The whole state of a stream at one offset: what a consumer starts (or restarts) from. */
export interface StreamSnapshot {
  readonly epoch: string;
  /** Offset of the last quote included; 0 before the first quote. */
  readonly offset: number;
  readonly universe: readonly SymbolInfo[];
  /** The latest quote of every symbol that has one. */
  readonly quotes: readonly StreamQuote[];
  readonly status: FeedStatus;
  /** Every symbol's bars at this offset, when the sender keeps them (a cluster primary does). */
  readonly bars?: BarsSnapshot;
}

/**
 * What a stream consumer implements (the hub, a broker publisher, a cluster fan-out). Calls arrive
 * in stream order and are synchronous.
 */
export interface StreamSink {
  /**
   * Start from this state. Called first, then again whenever the consumer must resynchronise: a new
   * epoch (the feed or ingest restarted), or a gap the source could not fill (the broker lost data).
   * Within the same epoch a reset never moves a symbol's seq backwards.
   */
  reset(snapshot: StreamSnapshot): void;
  /** Quotes with contiguous offsets following the previous batch (or the reset's offset). */
  quotes(batch: readonly StreamQuote[]): void;
  universe(added: readonly SymbolInfo[], removed: readonly string[]): void;
  status(status: FeedStatus): void;
  /** The feed's bars from before the live stream (FeedSink.history); before those symbols' first quotes. */
  history?(series: readonly HistorySeries[]): void;
}

/** Health of the path between the feed and this process (the broker connection, for edges). */
export interface SourceHealth {
  /** False while this process cannot receive the stream (broker down, no snapshot yet). */
  readonly ready: boolean;
  /** Why it is not ready. */
  readonly reason?: string;
  /** Source-specific figures for /healthz (broker URL without credentials, reconnects, lag ...). */
  readonly details?: Readonly<Record<string, string | number | boolean>>;
}

/**
 * Where a process gets its stream: the feed in-process, the cluster primary over IPC, or a broker.
 * `start` resolves once the source is running (not necessarily connected: a broker source keeps
 * retrying and reports through `health()`).
 */
export interface StreamSource {
  readonly name: string;
  start(sink: StreamSink): Promise<void>;
  stop(): Promise<void>;
  health(): SourceHealth;
}
