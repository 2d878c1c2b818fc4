import { CloseCode, CloseReason, Defaults } from '../protocol/constants.js';
import type { StreamQuote } from '../broker/stream.js';
import { unrefTimer } from './limits.js';
import { redactUrl } from './redact.js';
import type { Session } from './session.js';
import type { HubLogger, HubMetrics } from './types.js';

export interface SlowConsumerLimits {
  highWaterMarkBytes: number;
  hardLimitBytes: number;
  slowCloseAfterMs: number;
}

/** The close reason for slow consumers, the same one the transport sends at its hard limit. */
export const SLOW_CONSUMER_REASON = CloseReason.SlowConsumer;

/**
 * The slow-consumer policy. A client whose send buffer is above the high-water mark gets no more
 * quote frames; instead the latest quote per symbol is kept for it (bounded by its subscription),
 * and flushed as one batch once its buffer drains. A client that stays slow for slowCloseAfterMs,
 * or whose buffer passes the hard limit, is closed with 1008. Nothing here awaits a client and
 * there is one sweep timer for all of them, running only while someone is slow.
 */
export class SlowConsumers {
  private readonly limits: SlowConsumerLimits;
  private readonly flush: (session: Session, quotes: Iterable<StreamQuote>) => void;
  private readonly metrics: HubMetrics | undefined;
  private readonly logger: HubLogger | undefined;
  private readonly slow = new Set<Session>();
  private sweepTimer: ReturnType<typeof setInterval> | null = null;
  private readonly sweepMs: number;

  constructor(
    limits: SlowConsumerLimits,
    flush: (session: Session, quotes: Iterable<StreamQuote>) => void,
    metrics: HubMetrics | undefined,
    logger: HubLogger | undefined,
  ) {
    this.limits = limits;
    this.flush = flush;
    this.metrics = metrics;
    this.logger = logger;
    this.sweepMs = Math.min(500, Math.max(20, Math.floor(limits.slowCloseAfterMs / 4)));
  }

  get count(): number {
    return this.slow.size;
  }

  /** True when the connection cannot take a quote frame now (the caller then calls {@link hold}). */
  isBacklogged(session: Session): boolean {
    return session.conn.bufferedAmount > this.limits.highWaterMarkBytes;
  }

  /**
   * Keeps `quotes` for a session that cannot take them now: starts conflating if it was not yet,
   * or resumes at once if its buffer is back under the mark.
   */
  hold(session: Session, quotes: Iterable<StreamQuote>): void {
    if (session.closeRequestedAt !== 0 || session.closed) return;
    let conflated = session.conflated;
    if (conflated === null) {
      conflated = session.conflated = new Map();
      session.slowSince = Date.now();
      this.slow.add(session);
      this.metrics?.slowConsumer('conflating');
      this.logger?.debug({ url: redactUrl(session.conn.url), buffered: session.conn.bufferedAmount }, 'slow consumer: conflating');
      this.ensureSweep();
    }
    for (const q of quotes) conflated.set(q.symbol, q);
    const buffered = session.conn.bufferedAmount;
    if (buffered > this.limits.hardLimitBytes) this.closeSlow(session, buffered);
    else if (buffered <= this.limits.highWaterMarkBytes) this.resume(session);
  }

  /** The connection's socket drained: flush what was kept and resume normal delivery. */
  onDrain(session: Session): void {
    if (session.conflated !== null && !this.isBacklogged(session)) this.resume(session);
  }

  /** A symbol snapshot was just sent to the session: kept values for those symbols are now stale. */
  superseded(session: Session, symbols: Iterable<string>): void {
    const conflated = session.conflated;
    if (conflated === null) return;
    for (const symbol of symbols) conflated.delete(symbol);
  }

  /** The connection closed: forget it. */
  remove(session: Session): void {
    session.conflated = null;
    if (this.slow.delete(session)) this.stopSweepIfIdle();
  }

  stop(): void {
    if (this.sweepTimer !== null) clearInterval(this.sweepTimer);
    this.sweepTimer = null;
  }

  private resume(session: Session): void {
    const conflated = session.conflated;
    if (conflated === null) return;
    session.conflated = null;
    this.slow.delete(session);
    this.stopSweepIfIdle();
    this.metrics?.slowConsumer('resumed');
    this.logger?.debug({ url: redactUrl(session.conn.url), kept: conflated.size }, 'slow consumer: resumed');
    if (conflated.size > 0) this.flush(session, conflated.values());
  }

  private closeSlow(session: Session, buffered: number): void {
    session.conflated = null;
    session.closeRequestedAt = Date.now();
    this.metrics?.slowConsumer('closed');
    this.logger?.warn(
      { url: redactUrl(session.conn.url), buffered, slowForMs: session.closeRequestedAt - session.slowSince },
      'closing slow consumer',
    );
    // Stays in the slow set until 'close' so the sweep can terminate it if the close handshake stalls.
    session.conn.close(CloseCode.PolicyViolation, SLOW_CONSUMER_REASON);
  }

  private sweep(): void {
    const now = Date.now();
    for (const session of this.slow) {
      if (session.closeRequestedAt !== 0) {
        if (now - session.closeRequestedAt >= Defaults.closeTimeoutMs) {
          this.slow.delete(session);
          session.conn.terminate();
        }
        continue;
      }
      const buffered = session.conn.bufferedAmount;
      if (buffered > this.limits.hardLimitBytes || now - session.slowSince >= this.limits.slowCloseAfterMs) {
        if (buffered <= this.limits.highWaterMarkBytes) this.resume(session);
        else this.closeSlow(session, buffered);
      } else if (buffered <= this.limits.highWaterMarkBytes) {
        this.resume(session);
      }
    }
    this.stopSweepIfIdle();
  }

  private ensureSweep(): void {
    if (this.sweepTimer === null) this.sweepTimer = unrefTimer(setInterval(() => this.sweep(), this.sweepMs));
  }

  private stopSweepIfIdle(): void {
    if (this.slow.size === 0 && this.sweepTimer !== null) {
      clearInterval(this.sweepTimer);
      this.sweepTimer = null;
    }
  }
}
