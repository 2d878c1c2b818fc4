import type { Quote, QuoteFeed, SymbolInfo } from '../market/index.js';
import { CloseCode } from '../protocol/constants.js';
import { CadenceScheduler } from './cadence-scheduler.js';
import { parseCommand, type ClientCommand } from './commands.js';
import { DeliveryGroups, groupKey, type DeliveryGroup } from './delivery-groups.js';
import { prepareQuotesFrame, prepareTextFrame } from './frames.js';
import { ALL_SYMBOLS, isValidInterval, unrefTimer } from './limits.js';
import {
  errorMessage,
  heartbeatMessage,
  intervalMessage,
  pongMessage,
  subscriptionsMessage,
  welcomeMessage,
  type ErrorCode,
} from './messages.js';
import { QuoteEncoder, type CommandId } from './quote-encoder.js';
import { Session } from './session.js';
import { SlowConsumers } from './slow-consumers.js';
import type {
  AttachOptions,
  FrameFactory,
  HubConnection,
  HubLogger,
  HubMetrics,
  HubOptions,
  HubStats,
  PreparedFrame,
  ResolvedHubOptions,
} from './types.js';

export const READ_ONLY_REASON = 'read-only feed';

const DEFAULTS: ResolvedHubOptions = {
  defaultIntervalMs: 1000,
  appHeartbeatMs: 15_000,
  highWaterMarkBytes: 256 * 1024,
  hardLimitBytes: 4 * 1024 * 1024,
  slowCloseAfterMs: 10_000,
  maxSymbolsPerClient: 10_000,
  clientMessages: 'commands',
  deflate: false,
  serverName: 'tickstream',
  serverVersion: '0.1.0',
};

/**
 * The quote hub: last-value cache per symbol, subscriptions per connection, cadence and conflation,
 * slow-consumer policy and the client command protocol (docs/api.md).
 *
 * Fan-out is "encode once, write many": sessions with the same (interval, subscription set) form a
 * DeliveryGroup, and each update is serialised and framed once per group, then the same frame is
 * written to every member. Only sessions in a transitional state (conflating because they read too
 * slowly, or just regrouped) get a frame of their own.
 */
export class QuoteHub {
  private readonly feed: QuoteFeed;
  private readonly options: ResolvedHubOptions;
  private readonly metrics: HubMetrics | undefined;
  private readonly logger: HubLogger | undefined;
  private readonly prepare: FrameFactory;
  /** A frame factory injected through options: quote frames then go through it as JSON strings. */
  private readonly customPrepare: FrameFactory | null;
  private readonly encoder = new QuoteEncoder();
  /** The last-value cache: latest quote per symbol. */
  private readonly cache = new Map<string, Quote>();
  /** Known symbols: canonical spelling, plus an upper-case lookup so 'aapl' finds 'AAPL'. */
  private readonly known = new Set<string>();
  private readonly knownUpper = new Map<string, string>();
  private readonly groups = new DeliveryGroups();
  private readonly sessions = new Set<Session>();
  private readonly scheduler: CadenceScheduler;
  private readonly slow: SlowConsumers;
  /** Interval-0 groups touched by the feed batch being processed (reused array, no per-batch allocation). */
  private readonly touched: DeliveryGroup[] = [];
  /** Encoded quotes of one timed flush (reused array, no per-flush allocation). */
  private readonly scratchBytes: Buffer[] = [];
  private heartbeatTimer: ReturnType<typeof setInterval> | null = null;
  private started = false;
  private staleTicks = 0;

  constructor(feed: QuoteFeed, options: HubOptions = {}, metrics?: HubMetrics, logger?: HubLogger) {
    this.feed = feed;
    const { prepareFrame, ...rest } = options;
    this.options = { ...DEFAULTS, ...stripUndefined(rest) };
    if (!isValidInterval(this.options.defaultIntervalMs)) {
      throw new RangeError(`defaultIntervalMs: ${String(this.options.defaultIntervalMs)} is not a valid interval`);
    }
    this.metrics = metrics;
    this.logger = logger;
    this.prepare = prepareFrame ?? prepareTextFrame;
    this.customPrepare = prepareFrame ?? null;
    this.scheduler = new CadenceScheduler((groups) => this.flushTimed(groups));
    this.slow = new SlowConsumers(this.options, (session, quotes) => this.writeOwn(session, quotes), metrics, logger);
    for (const info of feed.universe()) this.learn(info.symbol);
    this.seed();
  }

  /** Seeds the cache from the feed and starts consuming its batches, and the heartbeat timer. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.seed();
    this.feed.start((quotes) => this.onBatch(quotes));
    if (this.options.appHeartbeatMs > 0) {
      this.heartbeatTimer = unrefTimer(setInterval(() => this.heartbeat(), this.options.appHeartbeatMs));
    }
    this.logger?.info({ feed: this.feed.name, symbols: this.known.size }, 'hub started');
  }

  /** Stops the feed and every timer. Connections stay open (the app closes them). */
  async stop(): Promise<void> {
    if (this.heartbeatTimer !== null) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = null;
    this.scheduler.stop();
    this.slow.stop();
    if (this.started) {
      this.started = false;
      await this.feed.stop();
    }
  }

  universe(): readonly SymbolInfo[] {
    return this.feed.universe();
  }

  /** Latest quotes from the cache: every symbol, or the given ones (unknown symbols are skipped). */
  snapshot(symbols?: readonly string[]): Quote[] {
    if (symbols === undefined) return [...this.cache.values()];
    const out: Quote[] = [];
    for (const raw of symbols) {
      const symbol = this.resolve(raw);
      const q = symbol === undefined ? undefined : this.cache.get(symbol);
      if (q !== undefined) out.push(q);
    }
    return out;
  }

  stats(): HubStats {
    let subscriptions = 0;
    for (const s of this.sessions) subscriptions += s.all ? this.known.size : s.symbols.size;
    return { clients: this.sessions.size, subscriptions, slowClients: this.slow.count, groups: this.groups.size };
  }

  /**
   * Takes over a connection: welcome, snapshot of the initial subscription, then pushes; handles its
   * commands and applies the slow-consumer policy until it closes.
   */
  attach(conn: HubConnection, init: AttachOptions = {}): void {
    const intervalMs = init.intervalMs ?? this.options.defaultIntervalMs;
    const session = new Session(conn, isValidInterval(intervalMs) ? intervalMs : this.options.defaultIntervalMs);
    this.sessions.add(session);
    this.metrics?.clientConnected();
    conn.on('message', (data, isText) => this.onMessage(session, data, isText));
    conn.on('drain', () => this.slow.onDrain(session));
    conn.on('close', (code, reason) => this.detach(session, code, reason));

    const requested = init.symbols ?? [ALL_SYMBOLS];
    let unknown: string[] = [];
    let tooMany = false;
    if (requested.includes(ALL_SYMBOLS)) {
      session.all = true;
    } else {
      const resolved = this.resolveAll(requested);
      unknown = resolved.unknown;
      if (resolved.known.length > this.options.maxSymbolsPerClient) tooMany = true;
      else session.symbols = new Set(resolved.known);
    }

    this.sendControl(
      session,
      welcomeMessage({
        server: this.options.serverName,
        version: this.options.serverVersion,
        interval: session.intervalMs,
        heartbeat: this.options.appHeartbeatMs,
        symbols: session.subscriptionList(),
      }),
    );
    this.sendControl(session, this.encoder.snapshotMessage(undefined, this.cachedFor(session)));
    if (tooMany) {
      this.sendError(session, undefined, 'too_many_symbols', `at most ${this.options.maxSymbolsPerClient} symbols per client`);
    }
    if (unknown.length > 0) this.sendError(session, undefined, 'unknown_symbol', 'unknown symbols', unknown);
    this.regroup(session);
    this.logger?.debug({ url: conn.url, symbols: session.all ? '*' : session.symbols.size, interval: session.intervalMs }, 'client attached');
  }

  // ---------------------------------------------------------------- feed side

  private seed(): void {
    for (const q of this.feed.snapshot()) {
      const prev = this.cache.get(q.symbol);
      if (prev !== undefined && q.seq <= prev.seq) continue;
      this.cache.set(q.symbol, q);
      this.learn(q.symbol);
    }
  }

  private learn(symbol: string): void {
    if (this.known.has(symbol)) return;
    this.known.add(symbol);
    this.knownUpper.set(symbol.toUpperCase(), symbol);
  }

  /** One feed batch: update the cache, route each tick to the groups that want it, push interval-0 groups. */
  private onBatch(quotes: readonly Quote[]): void {
    this.metrics?.feedTicks(quotes.length);
    const touched = this.touched;
    const wildcard = this.groups.wildcard;
    let oldestTs = Infinity;
    for (let i = 0; i < quotes.length; i++) {
      const q = quotes[i]!;
      const prev = this.cache.get(q.symbol);
      if (prev === undefined) this.learn(q.symbol);
      else if (q.seq <= prev.seq) {
        // The wire promises strictly increasing seq per symbol; a feed that breaks it is not forwarded.
        if (this.staleTicks++ === 0) this.logger?.warn({ symbol: q.symbol, seq: q.seq, cached: prev.seq }, 'feed sent a non-increasing seq; dropping such ticks');
        continue;
      }
      this.cache.set(q.symbol, q);
      if (q.ts < oldestTs) oldestTs = q.ts;
      // Encoded at most once per tick, and only if an every-tick group wants it.
      let bytes: Buffer | null = null;
      for (const group of wildcard) {
        if (group.intervalMs !== 0) group.latest.set(q.symbol, q);
        else bytes = this.addTick(group, q, bytes, touched);
      }
      const topic = this.groups.topic(q.symbol);
      if (topic !== undefined) {
        for (const group of topic) {
          if (group.intervalMs !== 0) group.latest.set(q.symbol, q);
          else bytes = this.addTick(group, q, bytes, touched);
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
    this.metrics?.pushLatency(Math.max(0, Date.now() - oldestTs) / 1000);
  }

  /** Appends a tick to an every-tick group's pending batch; returns the tick's bytes for the next group. */
  private addTick(group: DeliveryGroup, q: Quote, bytes: Buffer | null, touched: DeliveryGroup[]): Buffer {
    const encoded = bytes ?? this.encoder.quoteBytes(q);
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
      for (let i = 0; i < quotes.length; i++) bytes.push(this.encoder.quoteBytes(quotes[i]!));
      this.fanOut(group, quotes, bytes);
      bytes.length = 0;
    }
  }

  /**
   * Writes one batch to every member of a group: one frame, shared by all. `encoded` holds the same
   * quotes as UTF-8 JSON, so the frame is assembled by copying bytes, not by building a string.
   */
  private fanOut(group: DeliveryGroup, quotes: readonly Quote[], encoded: readonly Buffer[]): void {
    let frame: PreparedFrame | null = null;
    let sent = 0;
    for (const s of group.sessions) {
      if (s.needsPersonalFrame) {
        this.deliverOwn(s, quotes);
      } else if (this.slow.isBacklogged(s)) {
        this.slow.hold(s, quotes);
      } else {
        if (frame === null) frame = this.quotesFrame(quotes, encoded);
        s.conn.sendPrepared(frame);
        sent++;
      }
    }
    if (sent > 0) this.metrics?.messagesSent(sent, sent * frame!.byteLength);
  }

  private quotesFrame(quotes: readonly Quote[], encoded: readonly Buffer[]): PreparedFrame {
    if (this.customPrepare !== null) return this.customPrepare(this.encoder.quotesMessage(quotes), this.options.deflate);
    return prepareQuotesFrame(encoded, this.options.deflate);
  }

  /** A session that cannot share the group's frame this time: drop what it already has, then deliver. */
  private deliverOwn(s: Session, quotes: readonly Quote[]): void {
    let batch: readonly Quote[] = quotes;
    const skip = s.skip;
    if (skip !== null) {
      s.skip = null;
      batch = quotes.filter((q) => q.seq > (skip.get(q.symbol) ?? -Infinity));
      if (batch.length === 0) return;
    }
    this.deliver(s, batch);
  }

  /** Delivers quotes to one session through the slow-consumer gate, with a frame of its own. */
  private deliver(s: Session, quotes: Iterable<Quote>): void {
    if (s.conflated !== null || this.slow.isBacklogged(s)) this.slow.hold(s, quotes);
    else this.writeOwn(s, quotes);
  }

  private writeOwn(s: Session, quotes: Iterable<Quote>): void {
    const json = this.encoder.quotesMessage(quotes);
    s.conn.send(json);
    this.metrics?.messagesSent(1, Buffer.byteLength(json));
  }

  private heartbeat(): void {
    if (this.sessions.size === 0) return;
    const frame = this.prepare(heartbeatMessage(Date.now()), false);
    let sent = 0;
    for (const s of this.sessions) {
      // A conflating client is not reading; a heartbeat would only grow its backlog.
      if (s.conflated !== null || s.closeRequestedAt !== 0) continue;
      s.conn.sendPrepared(frame);
      sent++;
    }
    if (sent > 0) this.metrics?.messagesSent(sent, sent * frame.byteLength);
  }

  // ---------------------------------------------------------------- client side

  private detach(session: Session, code: number, reason: string): void {
    if (session.closed) return;
    session.closed = true;
    this.sessions.delete(session);
    this.slow.remove(session);
    const emptied = this.groups.leave(session);
    if (emptied !== null && emptied.intervalMs > 0) this.scheduler.remove(emptied);
    session.skip = null;
    this.metrics?.clientDisconnected();
    this.logger?.debug({ url: session.conn.url, code, reason }, 'client detached');
  }

  private onMessage(session: Session, data: Buffer, isText: boolean): void {
    if (session.closed) return;
    if (this.options.clientMessages === 'close') {
      session.conn.close(CloseCode.PolicyViolation, READ_ONLY_REASON);
      return;
    }
    if (!isText) {
      this.sendError(session, undefined, 'bad_request', 'binary messages are not supported; send JSON text');
      return;
    }
    const command = parseCommand(data.toString('utf8'), this.options.maxSymbolsPerClient);
    if (command.type === 'error') {
      this.sendError(session, command.id, command.code, command.message);
      return;
    }
    this.execute(session, command);
  }

  private execute(session: Session, command: ClientCommand): void {
    switch (command.type) {
      case 'subscribe':
        return this.subscribe(session, command.id, command.symbols);
      case 'unsubscribe':
        return this.unsubscribe(session, command.id, command.symbols);
      case 'interval':
        this.sendControl(session, intervalMessage(command.id, command.intervalMs));
        if (command.intervalMs !== session.intervalMs) {
          session.intervalMs = command.intervalMs;
          this.regroup(session);
        }
        return;
      case 'snapshot':
        return this.snapshotCommand(session, command.id, command.symbols);
      case 'ping':
        this.sendControl(session, pongMessage(command.id, Date.now()));
        return;
    }
  }

  private subscribe(session: Session, id: CommandId | undefined, requested: readonly string[]): void {
    let added: Quote[];
    let unknown: string[] = [];
    if (requested.includes(ALL_SYMBOLS)) {
      added = session.all ? [] : this.cachedExcept(session.symbols);
      session.all = true;
      session.symbols = new Set();
    } else {
      const resolved = this.resolveAll(requested);
      unknown = resolved.unknown;
      added = [];
      if (!session.all) {
        const next = new Set(session.symbols);
        for (const symbol of resolved.known) next.add(symbol);
        if (next.size > this.options.maxSymbolsPerClient) {
          this.sendError(session, id, 'too_many_symbols', `at most ${this.options.maxSymbolsPerClient} symbols per client`);
          return;
        }
        for (const symbol of resolved.known) {
          if (session.symbols.has(symbol)) continue;
          const q = this.cache.get(symbol);
          if (q !== undefined) added.push(q);
        }
        session.symbols = next;
      }
    }
    this.sendControl(session, subscriptionsMessage(id, session.subscriptionList()));
    this.sendSnapshot(session, id, added);
    this.regroup(session);
    if (unknown.length > 0) this.sendError(session, id, 'unknown_symbol', 'unknown symbols', unknown);
  }

  private unsubscribe(session: Session, id: CommandId | undefined, requested: readonly string[]): void {
    let unknown: string[] = [];
    if (requested.includes(ALL_SYMBOLS)) {
      session.all = false;
      session.symbols = new Set();
    } else {
      const resolved = this.resolveAll(requested);
      unknown = resolved.unknown;
      // Leaving a few symbols out of '*' turns it into the explicit rest of the universe.
      const next = new Set(session.all ? this.known : session.symbols);
      for (const symbol of resolved.known) next.delete(symbol);
      session.all = false;
      session.symbols = next;
    }
    this.sendControl(session, subscriptionsMessage(id, session.subscriptionList()));
    this.regroup(session);
    if (unknown.length > 0) this.sendError(session, id, 'unknown_symbol', 'unknown symbols', unknown);
  }

  private snapshotCommand(session: Session, id: CommandId | undefined, requested: readonly string[] | null): void {
    if (requested === null) {
      this.sendSnapshot(session, id, this.cachedFor(session));
      return;
    }
    if (requested.includes(ALL_SYMBOLS)) {
      this.sendSnapshot(session, id, [...this.cache.values()]);
      return;
    }
    const resolved = this.resolveAll(requested);
    const quotes: Quote[] = [];
    for (const symbol of resolved.known) {
      const q = this.cache.get(symbol);
      if (q !== undefined) quotes.push(q);
    }
    this.sendSnapshot(session, id, quotes);
    if (resolved.unknown.length > 0) this.sendError(session, id, 'unknown_symbol', 'unknown symbols', resolved.unknown);
  }

  private sendSnapshot(session: Session, id: CommandId | undefined, quotes: readonly Quote[]): void {
    // Values kept for a conflating client are older than (or equal to) the snapshot: drop them.
    if (session.conflated !== null) this.slow.superseded(session, quotes.map((q) => q.symbol));
    this.sendControl(session, this.encoder.snapshotMessage(id, quotes));
  }

  private sendError(session: Session, id: CommandId | undefined, code: ErrorCode, message: string, symbols?: readonly string[]): void {
    this.sendControl(session, errorMessage(id, code, message, symbols));
  }

  /** Control messages (welcome, acks, snapshots, errors) bypass conflation: they answer the client. */
  private sendControl(session: Session, json: string): void {
    session.conn.send(json);
    this.metrics?.messagesSent(1, Buffer.byteLength(json));
  }

  /**
   * Moves a session to the group matching its (possibly changed) interval and subscription.
   * Updates its old timed group was still holding for it are delivered now, so nothing is lost; the
   * new group's pending batch is marked as already seen, since the session is up to date with the cache.
   */
  private regroup(session: Session): void {
    const old = session.group;
    if (old !== null && old.key === groupKey(session.intervalMs, session.all, session.symbols)) return;
    if (old !== null) {
      const emptied = this.groups.leave(session);
      if (emptied !== null && emptied.intervalMs > 0) this.scheduler.remove(emptied);
      if (old.intervalMs > 0 && old.latest.size > 0) {
        const skip = session.skip;
        const leftover: Quote[] = [];
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

  // ---------------------------------------------------------------- symbols

  private resolve(raw: string): string | undefined {
    if (this.known.has(raw)) return raw;
    return this.knownUpper.get(raw.toUpperCase());
  }

  private resolveAll(requested: readonly string[]): { known: string[]; unknown: string[] } {
    const known: string[] = [];
    const unknown: string[] = [];
    for (const raw of requested) {
      const symbol = this.resolve(raw);
      if (symbol === undefined) unknown.push(raw);
      else known.push(symbol);
    }
    return { known, unknown };
  }

  /** Cached quotes of everything the session subscribes to. */
  private cachedFor(session: Session): Quote[] {
    if (session.all) return [...this.cache.values()];
    const out: Quote[] = [];
    for (const symbol of session.symbols) {
      const q = this.cache.get(symbol);
      if (q !== undefined) out.push(q);
    }
    return out;
  }

  private cachedExcept(symbols: ReadonlySet<string>): Quote[] {
    const out: Quote[] = [];
    for (const q of this.cache.values()) if (!symbols.has(q.symbol)) out.push(q);
    return out;
  }
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  const out: Partial<T> = {};
  for (const key of Object.keys(value) as (keyof T)[]) {
    if (value[key] !== undefined) out[key] = value[key];
  }
  return out;
}
