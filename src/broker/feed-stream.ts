import type { FeedSink, FeedStatus, Quote, QuoteFeed, SymbolInfo } from '../market/index.js';
import { newEpoch } from './epoch.js';
import type { HistorySeries } from '../market/bars/index.js';
import type { SourceHealth, StreamQuote, StreamSink, StreamSource } from './stream.js';
import { StreamState } from './stream-state.js';

export interface FeedStreamLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface FeedStreamOptions {
  /** Fixed epoch id (tests); a fresh one by default. */
  epoch?: string;
  /**
   * Keep bars and recent ticks beside the feed (default true), so a sink added late (a cluster worker)
   * starts with them. A single-process server turns it off: its hub keeps its own.
   */
  history?: boolean;
  logger?: FeedStreamLogger;
}

/**
 * The head of a stream: runs one feed in this process, gives the stream its identity (a new epoch,
 * an offset per quote) and hands it to any number of sinks: the local hub, the cluster workers, a
 * broker publisher. A sink added late starts from the current state (a reset), then follows live.
 *
 * It also guards the stream's promises, whatever the feed does: seq strictly increasing per symbol
 * (older or repeated quotes are dropped and counted), no quote for a symbol outside the universe
 * (the symbol is added with a minimal description), status 'up' once data flows if the feed never said.
 */
export class FeedStream implements StreamSource {
  readonly name: string;
  readonly state: StreamState;
  private readonly feed: QuoteFeed;
  private readonly sinks = new Set<StreamSink>();
  private readonly logger: FeedStreamLogger | undefined;
  private started = false;
  private stopped = false;
  private statusReported = false;
  /** Quotes dropped because their seq did not increase (a feed bug, reported once in the log). */
  droppedQuotes = 0;

  constructor(feed: QuoteFeed, options: FeedStreamOptions = {}) {
    this.feed = feed;
    this.name = feed.name;
    this.state = new StreamState({ history: options.history ?? true });
    this.logger = options.logger;
    this.state.epoch = options.epoch ?? newEpoch();
    this.state.status = { state: 'down', reason: 'feed starting' };
  }

  get epoch(): string {
    return this.state.epoch;
  }

  /** Adds a sink (it gets the current state first) and starts the feed on the first call. */
  async start(sink: StreamSink): Promise<void> {
    this.addSink(sink);
    await this.run();
  }

  /** Starts the feed (once); sinks may be added before or after. */
  async run(): Promise<void> {
    if (this.started || this.stopped) return;
    this.started = true;
    this.logger?.info({ feed: this.feed.name, epoch: this.state.epoch }, 'stream started');
    await this.feed.start(this.feedSink());
  }

  addSink(sink: StreamSink): void {
    this.sinks.add(sink);
    sink.reset(this.state.snapshot());
  }

  removeSink(sink: StreamSink): void {
    this.sinks.delete(sink);
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.started) await this.feed.stop();
    this.sinks.clear();
  }

  health(): SourceHealth {
    const status = this.state.status;
    return status.state === 'down'
      ? { ready: false, reason: `feed down: ${status.reason ?? 'no reason given'}` }
      : { ready: true };
  }

  private feedSink(): FeedSink {
    return {
      universe: (added, removed) => this.onUniverse(added, removed ?? []),
      quotes: (batch) => this.onQuotes(batch),
      status: (status) => this.onStatus(status),
      history: (series) => this.onHistory(series),
    };
  }

  private onUniverse(added: readonly SymbolInfo[], removed: readonly string[]): void {
    if (this.stopped) return;
    const gone = this.state.applyUniverse(added, removed);
    if (added.length === 0 && gone.length === 0) return;
    for (const sink of this.sinks) sink.universe(added, gone);
  }

  private onHistory(series: readonly HistorySeries[]): void {
    if (this.stopped || series.length === 0) return;
    // History of a symbol the feed never announced has nothing to attach to.
    const known = series.filter((s) => this.state.has(s.symbol));
    if (known.length === 0) return;
    this.state.applyHistory(known);
    for (const sink of this.sinks) sink.history?.(known);
  }

  private onQuotes(batch: readonly Quote[]): void {
    if (this.stopped || batch.length === 0) return;
    const state = this.state;
    const out: StreamQuote[] = [];
    let unknown: SymbolInfo[] | null = null;
    let offset = state.offset;
    for (let i = 0; i < batch.length; i++) {
      const q = batch[i]!;
      if (!state.has(q.symbol)) {
        const info: SymbolInfo = { symbol: q.symbol, name: q.symbol, exchange: '', currency: '', prevClose: q.prevClose };
        state.applyUniverse([info]);
        (unknown ??= []).push(info);
      }
      const prev = state.last(q.symbol);
      if (prev !== undefined && q.seq <= prev.seq) {
        if (this.droppedQuotes++ === 0) {
          this.logger?.warn({ symbol: q.symbol, seq: q.seq, held: prev.seq }, 'feed sent a non-increasing seq; dropping such quotes');
        }
        continue;
      }
      const stamped: StreamQuote = { ...q, offset: ++offset };
      state.applyQuote(stamped);
      out.push(stamped);
    }
    if (unknown !== null) {
      this.logger?.warn({ symbols: unknown.map((i) => i.symbol).slice(0, 10) }, 'feed quoted symbols it had not announced; added them');
      for (const sink of this.sinks) sink.universe(unknown, []);
    }
    if (out.length === 0) return;
    if (!this.statusReported && state.status.state !== 'up') this.onStatus({ state: 'up' }, false);
    for (const sink of this.sinks) sink.quotes(out);
  }

  private onStatus(status: FeedStatus, fromFeed = true): void {
    if (this.stopped) return;
    if (fromFeed) this.statusReported = true;
    const prev = this.state.status;
    if (prev.state === status.state && prev.reason === status.reason) return;
    this.state.status = status.reason === undefined ? { state: status.state } : { state: status.state, reason: status.reason };
    this.logger?.info({ feed: this.feed.name, state: status.state, reason: status.reason }, 'feed status');
    for (const sink of this.sinks) sink.status(this.state.status);
  }
}
