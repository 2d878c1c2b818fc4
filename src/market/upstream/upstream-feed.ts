import type { FeedLogger, FeedSink, FeedState, FeedStatus, QuoteFeed } from '../feed.js';
import type { QuoteUpdate } from '../normaliser.js';
import type { BackoffOptions } from './backoff.js';
import { describeDelay } from './redact.js';
import { UpstreamQuotes, type SymbolDescription } from './upstream-quotes.js';
import { UpstreamCounters, type UpstreamStats, type UpstreamStatsSource } from './upstream-stats.js';

/** Options every upstream adapter takes. */
export interface UpstreamFeedOptions {
  /** The endpoint instead of the provider's (`--feed-url`: a proxy, a sandbox, a test server). */
  readonly url?: string;
  /** Silence after which the feed is `stale` (twice as long: reconnect). Default 30 000 ms. */
  readonly staleAfterMs?: number;
  /**
   * After the provider refused our credentials (or a plan limit), the next attempt waits this long:
   * the feed retries very slowly instead of hammering the provider. null: never retry (until the
   * server restarts). Default 600 000 ms (10 min).
   */
  readonly authRetryMs?: number | null;
  readonly backoff?: Partial<BackoffOptions>;
  readonly handshakeTimeoutMs?: number;
  readonly logger?: FeedLogger;
}

export const DEFAULT_STALE_AFTER_MS = 30_000;
export const DEFAULT_AUTH_RETRY_MS = 600_000;

const SILENT: FeedLogger = { info() {}, warn() {}, error() {} };
/** At most one "skipped malformed messages" line per this period. */
const MALFORMED_LOG_EVERY_MS = 10_000;

/**
 * What the three adapters share: the feed contract around the sink (nothing reported before start or
 * after stop, statuses reported once per change), the normaliser, counters, and the rules for
 * malformed input (counted, logged at most every 10 s, never fatal).
 */
export abstract class UpstreamFeed implements QuoteFeed, UpstreamStatsSource {
  readonly name: string;
  protected readonly logger: FeedLogger;
  protected readonly counters = new UpstreamCounters();
  protected readonly quotes: UpstreamQuotes;
  protected readonly staleAfterMs: number;
  protected readonly authRetryMs: number | null;
  private sink: FeedSink | null = null;
  private stopped = false;
  private lastStatus: FeedStatus | undefined;
  private malformedSince = 0;
  private lastMalformedLog = -Infinity;

  protected constructor(name: string, options: UpstreamFeedOptions, describe: (symbol: string) => SymbolDescription) {
    this.name = name;
    this.logger = options.logger ?? SILENT;
    this.staleAfterMs = options.staleAfterMs ?? DEFAULT_STALE_AFTER_MS;
    if (!(this.staleAfterMs > 0)) throw new RangeError(`staleAfterMs must be > 0, got ${this.staleAfterMs}`);
    this.authRetryMs = options.authRetryMs === undefined ? DEFAULT_AUTH_RETRY_MS : options.authRetryMs;
    this.quotes = new UpstreamQuotes(describe, (error) => this.malformed(`refused update: ${error.message}`));
  }

  /** Begins connecting; resolves at once (data and statuses follow through the sink). */
  start(sink: FeedSink): void {
    if (this.sink !== null) throw new Error(`${this.name}: already started`);
    if (this.stopped) return;
    this.sink = sink;
    this.run();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.halt();
  }

  /** The latest status reported. */
  get status(): FeedStatus | undefined {
    return this.lastStatus;
  }

  upstreamStats(): UpstreamStats {
    const { messages, quotes, parseErrors, reconnects, lastMessageAt, lagMs } = this.counters;
    return {
      messages,
      quotes,
      parseErrors,
      reconnects,
      connectAttempts: this.connectAttempts(),
      lastMessageAt,
      lagMs,
      subscribedSymbols: this.subscribedSymbols(),
    };
  }

  /** Starts connecting (the sink is set). */
  protected abstract run(): void;
  /** Closes every connection. */
  protected abstract halt(): Promise<void>;
  /** Connection attempts so far, over every connection the feed made. */
  protected abstract connectAttempts(): number;
  protected abstract subscribedSymbols(): number;

  /** Running: started and not stopped. Nothing reaches the sink otherwise. */
  protected get live(): boolean {
    return this.sink !== null && !this.stopped;
  }

  protected reportStatus(state: FeedState, reason?: string): void {
    if (!this.live) return;
    const last = this.lastStatus;
    if (last !== undefined && last.state === state && last.reason === reason) return;
    this.lastStatus = reason === undefined ? { state } : { state, reason };
    this.sink!.status(this.lastStatus);
  }

  protected announce(symbols: Iterable<string>): void {
    if (this.live) this.quotes.announce(this.sink!, symbols);
  }

  protected deliver(updates: readonly QuoteUpdate[]): void {
    if (!this.live || updates.length === 0) return;
    this.counters.quotes += this.quotes.deliver(this.sink!, updates);
  }

  /** A malformed message or entry: counted and skipped; logged at most every 10 s with the count. */
  protected malformed(why: string): void {
    this.counters.parseErrors++;
    this.malformedSince++;
    const now = performance.now();
    if (now - this.lastMalformedLog < MALFORMED_LOG_EVERY_MS) return;
    this.lastMalformedLog = now;
    this.logger.warn({ feed: this.name, skipped: this.malformedSince }, `${this.name}: skipped a malformed upstream message (${why.slice(0, 200)})`);
    this.malformedSince = 0;
  }

  /** A connection closed or could not be made: `down`, and one log line (an error when retrying is slow). */
  protected connectionLost(reason: string, retryInMs: number | null, fatal: boolean): void {
    if (!this.live) return;
    const when = retryInMs === null ? 'not retrying (restart to try again)' : fatal ? `retrying in ${describeDelay(retryInMs)}` : 'reconnecting';
    const text = `${reason}; ${when}`;
    if (fatal) this.logger.error({ feed: this.name, retryInMs }, text);
    else this.logger.warn({ feed: this.name, retryInMs }, text);
    this.reportStatus('down', text);
  }
}
