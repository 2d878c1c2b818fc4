import { StreamState } from '../broker/stream-state.js';
import type { StreamQuote, StreamSink, StreamSnapshot, StreamSource } from '../broker/stream.js';
import type { FeedStatus, SymbolInfo } from '../market/index.js';
import type { HistorySeries, Tick } from '../market/bars/index.js';
import { barsFields } from './bars-query.js';
import type { BarTimeframe, BarsFields } from '../wire/index.js';
import { CommandBudget } from './command-budget.js';
import { ControlSender } from './control.js';
import { unrefTimer } from './limits.js';
import { isValidInterval } from '../wire/index.js';
import { encodeServerMessageBinary, epochMessage, heartbeatMessage, statusMessage, symbolsMessage, welcomeMessage, type ServerMessage } from '../wire/index.js';
import { Session } from './session.js';
import { AuthExpiry } from './session-auth.js';
import { RecoveryWindow } from './recovery-window.js';
import { SessionCommands } from './session-commands.js';
import { SubscriptionRouter } from './subscription-router.js';
import type { StreamPosition } from './connect-params.js';
import type { AttachOptions, PreparedFrame, HubConnection, HubFrames, HubLogger, HubMetrics, HubOptions, HubStats, ResolvedHubOptions } from './types.js';

/** The hub's defaults (the app applies the same outbound limits in the transport). */
export const HUB_DEFAULTS: Omit<ResolvedHubOptions, 'instance'> = {
  defaultIntervalMs: 1000,
  appHeartbeatMs: 15_000,
  highWaterMarkBytes: 256 * 1024,
  hardLimitBytes: 4 * 1024 * 1024,
  slowCloseAfterMs: 10_000,
  maxSymbolsPerClient: 10_000,
  commandRatePerSec: 50,
  commandBurst: 100,
  recoveryWindowMs: 60_000,
  recoveryMaxQuotes: 20_000,
  clientMessages: 'commands',
  deflate: false,
  serverName: 'tickstream',
  serverVersion: '0.1.0',
};

/**
 * The quote hub: consumes one stream (a StreamSink) and serves it to attached connections.
 * It wires three parts, each in its own file:
 *  - the quote cache (StreamState): universe, latest quote per symbol, epoch, offset, feed status;
 *  - the subscription router: delivery groups, cadence, conflation, slow consumers, fan-out;
 *  - the session commands: the client command protocol behind a policy hook.
 * Here: attaching and detaching sessions, stream events (new epoch, resync, status, universe) and the
 * application heartbeat.
 */
export class QuoteHub implements StreamSink {
  /** The quote cache: also what the REST routes read, so WebSocket and REST agree on every symbol. */
  readonly cache = new StreamState();
  private readonly source: StreamSource;
  private readonly frames: HubFrames;
  private readonly options: ResolvedHubOptions;
  private readonly metrics: HubMetrics | undefined;
  private readonly logger: HubLogger | undefined;
  private readonly router: SubscriptionRouter;
  private readonly control: ControlSender;
  private readonly commands: SessionCommands;
  private readonly expiry: AuthExpiry;
  private readonly recovery: RecoveryWindow;
  private readonly sessions = new Set<Session>();
  private heartbeatTimer: ReturnType<typeof setInterval> | null = null;
  private started = false;
  private staleQuotes = 0;

  constructor(source: StreamSource, options: HubOptions, metrics?: HubMetrics, logger?: HubLogger) {
    this.source = source;
    const { frames, commandPolicy, instance, verifyToken, ...rest } = options;
    this.options = { ...HUB_DEFAULTS, ...stripUndefined(rest), instance };
    if (!isValidInterval(this.options.defaultIntervalMs)) {
      throw new RangeError(`defaultIntervalMs: ${String(this.options.defaultIntervalMs)} is not a valid interval`);
    }
    this.metrics = metrics;
    this.logger = logger;
    this.router = new SubscriptionRouter(this.options, frames, () => this.cache.offset, metrics, logger);
    this.recovery = new RecoveryWindow({ maxAgeMs: this.options.recoveryWindowMs, maxQuotes: this.options.recoveryMaxQuotes });
    this.control = new ControlSender(metrics);
    this.expiry = new AuthExpiry(logger);
    this.commands = new SessionCommands(this.cache, this.router, this.control, this.options, { policy: commandPolicy, verifyToken, expiry: this.expiry });
    this.frames = frames;
  }

  /** Starts the stream source (this hub is its sink) and the heartbeat timer. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    if (this.options.appHeartbeatMs > 0) {
      this.heartbeatTimer = unrefTimer(setInterval(() => this.heartbeat(), this.options.appHeartbeatMs));
    }
    await this.source.start(this);
    this.logger?.info({ source: this.source.name, epoch: this.cache.epoch, symbols: this.cache.size }, 'hub started');
  }

  /** Stops the source and every timer. Connections stay open (the app closes them). */
  async stop(): Promise<void> {
    if (this.heartbeatTimer !== null) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = null;
    this.router.stop();
    this.expiry.stop();
    if (this.started) {
      this.started = false;
      await this.source.stop();
    }
  }

  get sourceHealth(): ReturnType<StreamSource['health']> {
    return this.source.health();
  }

  /** Latest quotes from the cache: every symbol, or the given ones (matched case-insensitively; unknown ones skipped). */
  snapshot(symbols?: readonly string[]): StreamQuote[] {
    if (symbols === undefined) return this.cache.quotes();
    const out: StreamQuote[] = [];
    for (const raw of symbols) {
      const symbol = this.cache.resolve(raw);
      const q = symbol === undefined ? undefined : this.cache.last(symbol);
      if (q !== undefined) out.push(q);
    }
    return out;
  }

  /** A symbol's bars as of now, with what a client needs to continue them live (GET /api/bars). */
  bars(symbol: string, tf: BarTimeframe, limit: number): BarsFields {
    return barsFields(this.cache, symbol, tf, limit);
  }

  /** A symbol's newest ticks, oldest first (GET /api/ticks). */
  ticks(symbol: string, limit: number): Tick[] {
    return this.cache.recentTicks(symbol, limit);
  }

  /** The union of the clients' explicit subscriptions, now and whenever it changes (see SubscriptionRouter.watchInterest). */
  watchInterest(listener: (symbols: ReadonlySet<string>) => void): void {
    this.router.watchInterest(listener);
  }

  stats(): HubStats {
    let subscriptions = 0;
    for (const s of this.sessions) subscriptions += s.all ? this.cache.size : s.symbols.size;
    return {
      clients: this.sessions.size,
      symbols: this.cache.size,
      subscriptions,
      slowClients: this.router.slow.count,
      groups: this.router.groupCount,
    };
  }

  /**
   * Takes over a connection: welcome, snapshot of the initial subscription, then pushes; handles its
   * commands and applies the slow-consumer policy until it closes.
   */
  attach(conn: HubConnection, init: AttachOptions = {}): void {
    const intervalMs = init.intervalMs ?? this.options.defaultIntervalMs;
    const session = new Session(conn, isValidInterval(intervalMs) ? intervalMs : this.options.defaultIntervalMs);
    if (this.options.commandRatePerSec > 0) {
      session.budget = new CommandBudget({ ratePerSec: this.options.commandRatePerSec, burst: this.options.commandBurst }, Date.now());
    }
    this.sessions.add(session);
    this.metrics?.clientConnected();
    conn.on('message', (data, isText) => this.commands.onMessage(session, data, isText));
    conn.on('drain', () => this.router.slow.onDrain(session));
    if (session.budget !== null) conn.on('ping', () => this.commands.onProtocolPing(session));
    conn.on('close', (code, reason) => this.detach(session, code, reason));
    session.binary = init.binary === true;
    if (init.auth !== undefined) {
      session.auth = init.auth;
      this.expiry.track(session);
    }

    const { unknown, forbidden, tooMany } = this.commands.initialSubscription(session, init.symbols ?? ['*']);
    const welcome = welcomeMessage({
      server: this.options.serverName,
      version: this.options.serverVersion,
      epoch: this.cache.epoch,
      feed: this.cache.status,
      interval: session.intervalMs,
      heartbeat: this.options.appHeartbeatMs,
      symbols: session.subscriptionList(),
      ...(this.options.instance !== undefined ? { worker: this.options.instance } : {}),
    });
    this.control.send(session, welcome);
    this.sendInitialState(session, init.since);
    if (tooMany) this.commands.tooManySymbols(session, undefined);
    if (unknown.length > 0) this.commands.sendError(session, undefined, 'unknown_symbol', 'unknown symbols', unknown);
    if (forbidden.length > 0) this.commands.forbiddenSymbols(session, undefined, forbidden);
    this.router.regroup(session);
    this.logger?.debug({ symbols: session.all ? '*' : session.symbols.size, interval: session.intervalMs }, 'client attached');
  }

  /**
   * The first snapshot of a session. A reconnecting client (`since`) gets exactly what it missed for
   * its subscription instead: every tick in order at cadence 0, the latest value of each changed
   * symbol at a cadence above 0, with `recovered: true`; when that cannot be given exactly (another
   * epoch, or older than the recovery window) a full snapshot with `recovered: false`. Never a partial
   * recovery.
   */
  private sendInitialState(session: Session, since: StreamPosition | undefined): void {
    const encoder = this.router.encoder;
    const offset = this.cache.offset;
    const missed = since === undefined ? null : this.recovery.since(since.epoch, since.offset, Date.now());
    if (missed === null) {
      const recovered = since === undefined ? undefined : false;
      this.control.send(session, encoder.snapshotMessage(undefined, this.commands.cachedFor(session), offset, recovered));
      return;
    }
    const mine = missed.filter((q) => session.wants(q.symbol));
    this.control.send(session, encoder.snapshotMessage(undefined, session.intervalMs === 0 ? mine : latestPerSymbol(mine), offset, true));
  }

  // ---------------------------------------------------------------- stream side (StreamSink)

  reset(snapshot: StreamSnapshot): void {
    const previous = this.cache.epoch;
    const statusBefore = this.cache.status;
    const outcome = this.cache.reset(snapshot);
    // Nothing before this point can be recovered exactly any more (a new epoch, or lost data resynced).
    this.recovery.reset(this.cache.epoch, this.cache.offset);
    if (outcome.removed.length > 0 || (!outcome.first && outcome.added.length > 0)) {
      this.broadcast(symbolsMessage(outcome.added, outcome.removed));
    }
    // A source that started empty (an edge before its first snapshot) may already have clients:
    // their first real state arrives like a new epoch.
    if (outcome.epochChanged || (outcome.first && this.sessions.size > 0)) {
      // Values of the old epoch must never reach a client after the notice: drop what is pending,
      // then every client gets the notice and a snapshot of its subscription in the new epoch.
      this.logger?.info({ epoch: snapshot.epoch, previous }, 'new stream epoch');
      this.router.discardPending(this.sessions);
      const notice = epochMessage(snapshot.epoch, previous);
      for (const s of this.sessions) {
        if (s.closed || s.closeRequestedAt !== 0) continue;
        this.control.send(s, notice);
        this.commands.sendSnapshot(s, undefined, this.commands.cachedFor(s));
      }
    } else if (outcome.changed.length > 0 && !outcome.first) {
      // Same epoch, resynchronised after lost data: what changed goes out like live ticks.
      this.router.route(outcome.changed);
    }
    // After a new epoch every client is told the new stream's status, even if it reads the same as the
    // last one it heard (which was the old stream's, or this edge's own 'stale' cleared meanwhile).
    if (outcome.epochChanged || !sameStatus(statusBefore, this.cache.status)) this.broadcast(statusMessage(this.cache.status));
  }

  quotes(batch: readonly StreamQuote[]): void {
    this.metrics?.feedTicks(batch.length);
    const cache = this.cache;
    let accepted: StreamQuote[] | null = null;
    let oldestTs = Infinity;
    for (let i = 0; i < batch.length; i++) {
      const q = batch[i]!;
      if (!cache.has(q.symbol) || !cache.applyQuote(q)) {
        // The wire promises strictly increasing seq per symbol within an epoch: never forward a repeat.
        if (this.staleQuotes++ === 0) this.logger?.warn({ symbol: q.symbol, seq: q.seq }, 'dropping a quote that is not newer than the cache (or of an unknown symbol)');
        accepted ??= batch.slice(0, i);
        continue;
      }
      if (accepted !== null) accepted.push(q);
      if (q.ts < oldestTs) oldestTs = q.ts;
    }
    const routed = accepted ?? batch;
    if (routed.length === 0) return;
    this.recovery.append(routed, Date.now());
    this.router.route(routed);
    this.metrics?.pushLatency(Math.max(0, Date.now() - oldestTs) / 1000);
  }

  history(series: readonly HistorySeries[]): void {
    this.cache.applyHistory(series);
  }

  universe(added: readonly SymbolInfo[], removed: readonly string[]): void {
    const gone = this.cache.applyUniverse(added, removed);
    if (added.length > 0 || gone.length > 0) this.broadcast(symbolsMessage(added, gone));
  }

  status(status: FeedStatus): void {
    if (sameStatus(this.cache.status, status)) return;
    this.cache.status = status;
    this.broadcast(statusMessage(status));
  }

  // ---------------------------------------------------------------- clients

  private detach(session: Session, code: number, reason: string): void {
    if (session.closed) return;
    session.closed = true;
    this.sessions.delete(session);
    this.router.leave(session);
    this.expiry.untrack(session);
    this.metrics?.clientDisconnected();
    this.logger?.debug({ code, reason }, 'client detached');
  }

  /** One shared frame to every session that is reading (a conflating client would only grow its backlog). */
  private broadcast(json: string): void {
    if (this.sessions.size === 0) return;
    let text: PreparedFrame | null = null;
    let binary: PreparedFrame | null = null;
    let bytes = 0;
    let sent = 0;
    for (const s of this.sessions) {
      if (s.conflated !== null || s.closeRequestedAt !== 0) continue;
      // One frame per encoding, built only if some session speaks it.
      const frame = s.binary
        ? (binary ??= this.frames.binary(encodeServerMessageBinary(JSON.parse(json) as ServerMessage), false))
        : (text ??= this.frames.text(json, false));
      s.conn.sendPrepared(frame);
      bytes += frame.byteLength;
      sent++;
    }
    if (sent > 0) this.metrics?.messagesSent(sent, bytes);
  }

  private heartbeat(): void {
    this.broadcast(heartbeatMessage(Date.now()));
  }
}

function sameStatus(a: FeedStatus, b: FeedStatus): boolean {
  return a.state === b.state && a.reason === b.reason;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  const out: Partial<T> = {};
  for (const key of Object.keys(value) as (keyof T)[]) {
    if (value[key] !== undefined) out[key] = value[key];
  }
  return out;
}

/** The last quote of each symbol, in the order of those last quotes in the stream. */
function latestPerSymbol(quotes: readonly StreamQuote[]): StreamQuote[] {
  const latest = new Map<string, StreamQuote>();
  for (const q of quotes) {
    latest.delete(q.symbol); // re-insert: Map order follows the most recent update
    latest.set(q.symbol, q);
  }
  return [...latest.values()];
}
