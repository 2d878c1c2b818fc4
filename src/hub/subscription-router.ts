import { InterestUnion } from '../broker/interest-union.js';
import type { StreamQuote } from '../broker/stream.js';
import { CadenceScheduler } from './cadence-scheduler.js';
import { DeliveryGroups, groupKey, type DeliveryGroup } from './delivery-groups.js';
import { BinaryQuoteEncoder, encodeServerMessageBinary } from '../wire/index.js';
import { QuoteEncoder } from './quote-encoder.js';
import type { Session } from './session.js';
import { SlowConsumers } from './slow-consumers.js';
import type { HubFrames, HubLogger, HubMetrics, PreparedFrame, ResolvedHubOptions } from './types.js';

/**
 * The subscription router: which session gets which quote, when, and in which frame.
 *
 * Fan-out is "encode once, write many": sessions with the same (interval, subscription set) form a
 * DeliveryGroup, and each update is serialised and framed once per group, then the same frame is
 * written to every member. Only sessions in a transitional state (conflating because they read too
 * slowly, or just regrouped) get a frame of their own. Cadence > 0 conflates to the latest value per
 * symbol between pushes.
 */
export class SubscriptionRouter {
  readonly encoder = new QuoteEncoder();
  /** The same, in the binary encoding, for groups of tickstream.bin.v1 clients (each quote encoded once). */
  private readonly binaryEncoder = new BinaryQuoteEncoder();
  readonly slow: SlowConsumers;
  private readonly groups = new DeliveryGroups();
  private readonly scheduler: CadenceScheduler;
  private readonly frames: HubFrames;
  private readonly deflate: boolean;
  private readonly metrics: HubMetrics | undefined;
  /** Interval-0 groups touched by the batch being routed (reused array, no per-batch allocation). */
  private readonly touched: DeliveryGroup[] = [];
  /** Encoded quotes of one timed flush (reused array, no per-flush allocation). */
  private readonly scratchBytes: Uint8Array[] = [];
  /**
   * The stream offset every message carries: the offset of the last quote routed. Whatever a session
   * receives, it is then up to date with the stream to that point for its subscription (pushes,
   * conflated flushes and snapshots all reflect every quote routed so far).
   */
  readonly currentOffset: () => number;

  constructor(options: ResolvedHubOptions, frames: HubFrames, currentOffset: () => number, metrics?: HubMetrics, logger?: HubLogger) {
    this.frames = frames;
    this.currentOffset = currentOffset;
    this.deflate = options.deflate;
    this.metrics = metrics;
    this.scheduler = new CadenceScheduler((groups) => this.flushTimed(groups));
    this.slow = new SlowConsumers(options, (session, quotes) => this.writeOwn(session, quotes), metrics, logger);
  }

  get groupCount(): number {
    return this.groups.size;
  }

  stop(): void {
    this.scheduler.stop();
    this.slow.stop();
  }

  /**
   * Tells `listener` the union of the explicit subscriptions now and whenever it changes (checked
   * once the current task's microtasks run, so a regroup's leave + join is no change at all; never
   * per tick). For feeds that subscribe upstream only to what clients want.
   */
  watchInterest(listener: (symbols: ReadonlySet<string>) => void): void {
    // One source (this process's clients); the union tells the listener only when the set changed.
    const union = new InterestUnion(listener);
    let queued = false;
    const tell = (): void => {
      queued = false;
      union.set('clients', this.groups.topicSymbols());
    };
    this.groups.onTopicsChanged = () => {
      if (queued) return;
      queued = true;
      queueMicrotask(tell);
    };
    tell();
  }

  /** Routes accepted quotes (in stream order) to the groups that want them; pushes every-tick groups now. */
  route(quotes: readonly StreamQuote[]): void {
    const touched = this.touched;
    const wildcard = this.groups.wildcard;
    for (let i = 0; i < quotes.length; i++) {
      const q = quotes[i]!;
      // Encoded at most once per tick and encoding, and only if an every-tick group wants it.
      let json: Buffer | null = null;
      let binary: Uint8Array | null = null;
      for (const group of wildcard) {
        if (group.intervalMs !== 0) group.latest.set(q.symbol, q);
        else if (group.binary) binary = this.addTick(group, q, binary ?? this.binaryEncoder.quoteBytes(q), touched);
        else json = this.addTick(group, q, json ?? this.encoder.quoteBytes(q), touched);
      }
      const topic = this.groups.topic(q.symbol);
      if (topic !== undefined) {
        for (const group of topic) {
          if (group.intervalMs !== 0) group.latest.set(q.symbol, q);
          else if (group.binary) binary = this.addTick(group, q, binary ?? this.binaryEncoder.quoteBytes(q), touched);
          else json = this.addTick(group, q, json ?? this.encoder.quoteBytes(q), touched);
        }
      }
    }
    if (touched.length === 0) return;
    for (let i = 0; i < touched.length; i++) {
      const group = touched[i]!;
      this.fanOut(group, group.batch, group.batchBytes);
      group.batch.length = 0;
      group.batchBytes.length = 0;
    }
    touched.length = 0;
  }

  /**
   * Forgets every pending update (a new epoch began: values of the old one must never be pushed).
   * Conflated values of slow sessions go too; each session then gets the new epoch's snapshot.
   */
  discardPending(sessions: Iterable<Session>): void {
    for (const group of this.groups.values()) group.latest.clear();
    for (const s of sessions) {
      s.skip = null;
      if (s.conflated !== null) s.conflated.clear();
    }
  }

  /** Delivers quotes to one session through the slow-consumer gate, with a frame of its own. */
  deliver(s: Session, quotes: Iterable<StreamQuote>): void {
    if (s.conflated !== null || this.slow.isBacklogged(s)) this.slow.hold(s, quotes);
    else this.writeOwn(s, quotes);
  }

  /** Takes a closed session out of its group and the slow set. */
  leave(session: Session): void {
    this.slow.remove(session);
    const emptied = this.groups.leave(session);
    if (emptied !== null && emptied.intervalMs > 0) this.scheduler.remove(emptied);
    session.skip = null;
  }

  /**
   * Moves a session to the group matching its (possibly changed) interval and subscription.
   * Updates its old timed group was still holding for it are delivered now, so nothing is lost; the
   * new group's pending batch is marked as already seen, since the session is up to date with the cache.
   */
  regroup(session: Session): void {
    const old = session.group;
    if (old !== null && old.key === groupKey(session.intervalMs, session.all, session.symbols, session.binary)) return;
    if (old !== null) {
      const emptied = this.groups.leave(session);
      if (emptied !== null && emptied.intervalMs > 0) this.scheduler.remove(emptied);
      if (old.intervalMs > 0 && old.latest.size > 0) {
        const skip = session.skip;
        const leftover: StreamQuote[] = [];
        for (const q of old.latest.values()) {
          if (session.wants(q.symbol) && q.seq > (skip?.get(q.symbol) ?? -Infinity)) leftover.push(q);
        }
        if (leftover.length > 0) this.deliver(session, leftover);
      }
    }
    session.skip = null;
    if (!session.all && session.symbols.size === 0) return; // subscribed to nothing: no group
    const { group, created } = this.groups.join(session);
    if (created && group.intervalMs > 0) this.scheduler.add(group);
    if (group.intervalMs > 0 && group.latest.size > 0) {
      const skip = new Map<string, number>();
      for (const q of group.latest.values()) skip.set(q.symbol, q.seq);
      session.skip = skip;
    }
  }

  /** Appends a tick to an every-tick group's pending batch; returns the tick's bytes for the next group. */
  private addTick<T extends Uint8Array>(group: DeliveryGroup, q: StreamQuote, encoded: T, touched: DeliveryGroup[]): T {
    if (group.batch.length === 0) touched.push(group);
    group.batch.push(q);
    group.batchBytes.push(encoded);
    return encoded;
  }

  /** A cadence boundary: every group of that interval pushes what changed since its last push. */
  private flushTimed(groups: ReadonlySet<DeliveryGroup>): void {
    for (const group of groups) {
      if (group.latest.size === 0) continue;
      const quotes = [...group.latest.values()];
      group.latest.clear();
      const bytes = this.scratchBytes;
      for (let i = 0; i < quotes.length; i++) bytes.push(group.binary ? this.binaryEncoder.quoteBytes(quotes[i]!) : this.encoder.quoteBytes(quotes[i]!));
      this.fanOut(group, quotes, bytes);
      bytes.length = 0;
    }
  }

  /**
   * Writes one batch to every member of a group: one frame, shared by all. `encoded` holds the same
   * quotes as UTF-8 JSON, so the frame is assembled by copying bytes, not by building a string.
   */
  private fanOut(group: DeliveryGroup, quotes: readonly StreamQuote[], encoded: readonly Uint8Array[]): void {
    let frame: PreparedFrame | null = null;
    let sent = 0;
    for (const s of group.sessions) {
      if (s.needsPersonalFrame) {
        this.deliverOwn(s, quotes);
      } else if (this.slow.isBacklogged(s)) {
        this.slow.hold(s, quotes);
      } else {
        frame ??= group.binary
          ? this.frames.binaryQuotes(encoded, this.deflate, this.currentOffset())
          : this.frames.quotes(encoded as readonly Buffer[], this.deflate, this.currentOffset());
        s.conn.sendPrepared(frame);
        sent++;
      }
    }
    if (sent > 0) this.metrics?.messagesSent(sent, sent * frame!.byteLength);
  }

  /** A session that cannot share the group's frame this time: drop what it already has, then deliver. */
  private deliverOwn(s: Session, quotes: readonly StreamQuote[]): void {
    let batch: readonly StreamQuote[] = quotes;
    const skip = s.skip;
    if (skip !== null) {
      s.skip = null;
      batch = quotes.filter((q) => q.seq > (skip.get(q.symbol) ?? -Infinity));
      if (batch.length === 0) return;
    }
    this.deliver(s, batch);
  }

  private writeOwn(s: Session, quotes: Iterable<StreamQuote>): void {
    if (s.binary) {
      const bytes = encodeServerMessageBinary({ type: 'quotes', quotes: [...quotes], offset: this.currentOffset() });
      s.conn.send(bytes);
      this.metrics?.messagesSent(1, bytes.byteLength);
      return;
    }
    const json = this.encoder.quotesMessage(quotes, this.currentOffset());
    s.conn.send(json);
    this.metrics?.messagesSent(1, Buffer.byteLength(json));
  }
}
