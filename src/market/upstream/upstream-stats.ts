/**
 * What an upstream feed counts about itself, read at scrape time by the app's metrics
 * (src/app/metrics.ts registerUpstreamMetrics). Plain numbers: the per-message cost is an increment.
 */
export interface UpstreamStats {
  /** Messages received from the upstream (data, control and heartbeats). */
  readonly messages: number;
  /** Quotes reported to the sink. */
  readonly quotes: number;
  /** Malformed messages or entries skipped, and updates the normaliser refused. */
  readonly parseErrors: number;
  /** Connections opened after the first one (a reconnect each). */
  readonly reconnects: number;
  /** Connection attempts, successful or not. */
  readonly connectAttempts: number;
  /** Date.now() of the last message received (0: none yet). */
  readonly lastMessageAt: number;
  /** now − the provider's timestamp, of the last message that carried one (ms; undefined: none yet). */
  readonly lagMs: number | undefined;
  /** Symbols subscribed upstream now. */
  readonly subscribedSymbols: number;
}

/** A feed that exposes its upstream counters (the upstream adapters do). */
export interface UpstreamStatsSource {
  readonly name: string;
  upstreamStats(): UpstreamStats;
}

export function hasUpstreamStats(value: unknown): value is UpstreamStatsSource {
  return typeof value === 'object' && value !== null && typeof (value as Partial<UpstreamStatsSource>).upstreamStats === 'function';
}

/** The mutable counters behind UpstreamStats. */
export class UpstreamCounters {
  messages = 0;
  quotes = 0;
  parseErrors = 0;
  /** Connections opened after a feed's first one. */
  reconnects = 0;
  lastMessageAt = 0;
  lagMs: number | undefined = undefined;

  /** One message arrived; `stampMs` is the provider's timestamp of it, when it has one. */
  message(stampMs?: number): void {
    this.messages++;
    const now = Date.now();
    this.lastMessageAt = now;
    if (stampMs !== undefined) this.lagMs = Math.max(0, now - stampMs);
  }

  /** The provider's timestamp of a message already counted. */
  stamp(stampMs: number): void {
    this.lagMs = Math.max(0, Date.now() - stampMs);
  }
}
