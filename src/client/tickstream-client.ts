/**
 * TickstreamClient: one logical quote stream over as many connections as it takes. It reconnects
 * with backoff, resumes with `since=EPOCH:OFFSET` so nothing is missed across reconnects (within the
 * server's recovery window), detects lost ticks at interval 0 and recovers them, replaces a
 * connection that went silent, refreshes JWTs in-band, and stops when retrying cannot help.
 *
 * Browser-safe: the platform specifics are behind a SocketFactory (browser-socket.ts, node-socket.ts).
 */
import { decodeServerMessage } from '../wire/decode.js';
import { ALL_SYMBOLS, INTERVAL_RULE, isValidInterval, MAX_SYMBOL_LENGTH, TOKEN_EXPIRED_CLOSE_CODE, type BarTimeframe } from '../wire/limits.js';
import type { ServerMessage, WireQuote } from '../wire/types.js';
import { backoffDelay, reconnectOptions, retryAfterDelay, type ReconnectOptions } from './backoff.js';
import { browserSocket } from './browser-socket.js';
import { CommandTracker, type BarsResult, type CommandFields, type CommandResults, type CommandType } from './commands.js';
import { TypedEmitter } from './emitter.js';
import { TickstreamError } from './errors.js';
import { QuoteState, type Gap, type Position } from './quote-state.js';
import { classifyFailure, type ConnectFailure } from './retry.js';
import type { ClientSocket, SocketFactory } from './socket.js';
import { STOP_LABELS } from './stop-labels.js';
import { TokenRefresher } from './token-refresher.js';
import type {
  ClientState,
  FeedStatusEvent,
  StateEvent,
  StopReason,
  SubscribeResult,
  TickstreamClientOptions,
  TickstreamEvents,
} from './types.js';
import { connectUrl, parseBaseUrl } from './url.js';
import { Watchdog } from './watchdog.js';

const DEFAULT_INTERVAL_MS = 1000;
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
const DEFAULT_REFRESH_AHEAD_MS = 60_000;

/** One connection attempt and what the client learnt on it. */
interface Connection {
  socket: ClientSocket | undefined;
  /** The welcome arrived: commands may be sent. */
  welcomed: boolean;
  /** The first snapshot arrived: the state is in sync. */
  live: boolean;
  liveAt: number;
  /** In-band token refresh while the connection is live (JWTs with getToken only). */
  refresher: TokenRefresher | undefined;
}

type Settings = Required<Omit<TickstreamClientOptions, 'token' | 'getToken' | 'heartbeatTimeoutMs' | 'socket' | 'reconnect' | 'url'>> &
  Pick<TickstreamClientOptions, 'token' | 'getToken' | 'heartbeatTimeoutMs' | 'socket'>;

export class TickstreamClient extends TypedEmitter<TickstreamEvents> {
  private readonly settings: Settings;
  private readonly base: URL;
  private readonly reconnect: ReconnectOptions;
  private readonly book = new QuoteState();
  private readonly commands = new CommandTracker();
  private readonly watchdog = new Watchdog((silentMs) => this.onSilence(silentMs));
  private factory: SocketFactory | undefined;

  private current: Connection | undefined;
  private phase: ClientState = 'idle';
  /** The subscription and cadence as the server last acknowledged them: what a reconnect asks for. */
  private symbols: string[];
  private symbolSet: ReadonlySet<string>;
  private intervalMs: number;
  private feed: FeedStatusEvent | undefined;
  /** Bumped by every attempt and by stop(): an await that resumes in another generation gives up. */
  private generation = 0;
  /** Connection attempts in a row that never got to live (maxAttempts counts these). */
  private failedAttempts = 0;
  /** Retries since the last stable connection (the backoff exponent). */
  private backoffStep = 0;
  private everLive = false;
  /** The token presented on the current connection (refreshed in-band). */
  private token: string | undefined;
  /** After switching to interval 0: the next push holds the old cadence's leftovers, which may skip seqs. */
  private relaxNextPush = false;
  private awaitingEpochSnapshot = false;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private connectTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: TickstreamClientOptions) {
    super();
    this.base = parseBaseUrl(options.url);
    this.reconnect = reconnectOptions(options.reconnect);
    const interval = options.interval ?? DEFAULT_INTERVAL_MS;
    if (!isValidInterval(interval)) throw new RangeError(INTERVAL_RULE);
    const symbols = options.symbols ?? [ALL_SYMBOLS];
    const invalid = symbols.find((s) => typeof s !== 'string' || s.trim() === '' || s.length > MAX_SYMBOL_LENGTH);
    if (invalid !== undefined) throw new RangeError(`symbols must be 1 to ${MAX_SYMBOL_LENGTH} characters: ${JSON.stringify(invalid)}`);
    for (const [name, value] of [['heartbeatTimeoutMs', options.heartbeatTimeoutMs], ['connectTimeoutMs', options.connectTimeoutMs], ['refreshAheadMs', options.refreshAheadMs]] as const) {
      if (value !== undefined && !(value >= 0)) throw new RangeError(`${name} must be a number >= 0`);
    }
    this.settings = {
      symbols,
      interval,
      token: options.token,
      getToken: options.getToken,
      refreshAheadMs: options.refreshAheadMs ?? DEFAULT_REFRESH_AHEAD_MS,
      heartbeatTimeoutMs: options.heartbeatTimeoutMs,
      connectTimeoutMs: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      socket: options.socket,
    };
    this.symbols = symbols.map((s) => s.trim());
    this.symbolSet = new Set(this.symbols);
    this.intervalMs = interval;
  }

  // ------------------------------------------------------------------ reading the state

  get state(): ClientState {
    return this.phase;
  }

  /** The latest quote held for `symbol` (the server's spelling), if any. */
  last(symbol: string): WireQuote | undefined {
    return this.book.get(symbol);
  }

  /** Every quote held, one per symbol. */
  quotes(): WireQuote[] {
    return this.book.quotes();
  }

  /** The stream epoch of the quotes held. */
  get epoch(): string | undefined {
    return this.book.epoch;
  }

  /** The point a reconnect resumes from (sent as `since`); undefined before the first state. */
  get position(): Position | undefined {
    return this.book.position;
  }

  /** The subscription as last acknowledged by the server (['*'] = everything). */
  get subscription(): readonly string[] {
    return this.symbols;
  }

  get interval(): number {
    return this.intervalMs;
  }

  /** The feed's health as the server last reported it. */
  get feedStatus(): FeedStatusEvent | undefined {
    return this.feed;
  }

  // ------------------------------------------------------------------ lifecycle

  /** Connects (and keeps reconnecting). A stopped client may be started again: it resumes from its position. */
  start(): void {
    if (this.phase !== 'idle' && this.phase !== 'stopped') return;
    this.failedAttempts = 0;
    this.backoffStep = 0;
    void this.openConnection();
  }

  /** Closes the connection and stops reconnecting; commands still waiting reject with code `stopped`. */
  stop(): void {
    if (this.phase === 'idle' || this.phase === 'stopped') return;
    this.halt('client_stopped', 'stopped by the application');
  }

  // ------------------------------------------------------------------ commands

  /** Adds symbols; resolves with the whole subscription and the snapshot of the added ones. */
  subscribe(symbols: readonly string[]): Promise<SubscribeResult> {
    const invalid = checkSymbols(symbols);
    if (invalid !== undefined) return Promise.reject(invalid);
    return this.command('subscribe', { symbols: [...symbols] });
  }

  /** Removes symbols ('*' = all); resolves with the whole remaining subscription. */
  unsubscribe(symbols: readonly string[]): Promise<string[]> {
    const invalid = checkSymbols(symbols);
    if (invalid !== undefined) return Promise.reject(invalid);
    return this.command('unsubscribe', { symbols: [...symbols] });
  }

  /** Changes the push cadence (0 = every tick, or 10…60000 ms); resolves with the new interval. */
  setInterval(intervalMs: number): Promise<number> {
    if (!isValidInterval(intervalMs)) return Promise.reject(new TickstreamError('invalid_argument', INTERVAL_RULE));
    return this.command('interval', { interval: intervalMs });
  }

  /** The latest quotes of `symbols` (default: the subscription) from the server's cache. */
  snapshot(symbols?: readonly string[]): Promise<WireQuote[]> {
    if (symbols === undefined) return this.command('snapshot', {});
    const invalid = checkSymbols(symbols);
    if (invalid !== undefined) return Promise.reject(invalid);
    return this.command('snapshot', { symbols: [...symbols] });
  }

  /**
   * The history of one symbol at a timeframe (the newest `limit` bars, default 300), as of the
   * reply's stream `offset`. To continue it live, fold the `quote` events that follow into the last
   * bar by their ts (docs/history.md: the seam rule).
   */
  bars(symbol: string, tf: BarTimeframe, limit?: number): Promise<BarsResult> {
    const invalid = checkSymbols([symbol]);
    if (invalid !== undefined) return Promise.reject(invalid);
    return this.command('bars', { symbol: symbol.trim(), tf, ...(limit !== undefined ? { limit } : {}) });
  }

  /** A round trip; resolves with the server's clock (ms since the epoch). */
  ping(): Promise<number> {
    return this.command('ping', {});
  }

  /**
   * Queues a command until a connection has been welcomed, then sends it. It settles on its reply, on
   * an error with its id, or rejects with `connection_closed` if its connection ends first.
   */
  private command<T extends CommandType>(type: T, fields: CommandFields<T>): Promise<CommandResults[T]> {
    if (this.phase === 'idle') return Promise.reject(new TickstreamError('not_started', 'call start() before sending commands'));
    if (this.phase === 'stopped') return Promise.reject(new TickstreamError('stopped', 'the client is stopped'));
    const promise = this.commands.add(type, fields);
    this.flushCommands();
    return promise;
  }

  private flushCommands(): void {
    const conn = this.current;
    if (conn?.welcomed !== true || conn.socket === undefined) return;
    const socket = conn.socket;
    this.commands.flush((text) => socket.send(text));
  }

  // ------------------------------------------------------------------ connecting

  protected defaultSocket(): SocketFactory {
    return browserSocket();
  }

  private async openConnection(): Promise<void> {
    this.retryTimer = undefined;
    const generation = ++this.generation;
    this.setState({ state: 'connecting', attempt: this.failedAttempts });
    if (generation !== this.generation) return; // a listener stopped the client
    let token = this.settings.token;
    const getToken = this.settings.getToken;
    if (getToken !== undefined) {
      try {
        token = await getToken();
        if (typeof token !== 'string' || token === '') throw new TypeError('getToken must return a non-empty string');
      } catch (error) {
        if (generation !== this.generation) return;
        const message = `getToken failed: ${error instanceof Error ? error.message : String(error)}`;
        this.emit('error', { source: 'client', code: 'token_unavailable', message, cause: error });
        if (generation !== this.generation) return;
        this.failedAttempts++;
        this.scheduleReconnect(message, {});
        return;
      }
      if (generation !== this.generation) return; // stopped (or restarted) while the token came
    }
    this.token = token;
    const url = connectUrl(this.base, { symbols: this.symbols, interval: this.intervalMs, since: this.book.position });
    const conn: Connection = { socket: undefined, welcomed: false, live: false, liveAt: 0, refresher: undefined };
    this.current = conn;
    this.connectTimer = setTimeout(() => {
      if (this.current === conn && !conn.welcomed) {
        this.endConnection(conn, 1000, '', true);
        this.onFailure(conn, { kind: 'network', message: `no welcome from the server within ${this.settings.connectTimeoutMs} ms` });
      }
    }, this.settings.connectTimeoutMs);
    this.factory ??= this.settings.socket ?? this.defaultSocket();
    try {
      conn.socket = this.factory(
        { url, token },
        {
          onOpen: () => {},
          onMessage: (text) => {
            if (this.current === conn) this.onMessage(conn, text);
          },
          onClose: (failure) => {
            if (this.current !== conn) return;
            this.endConnection(conn);
            this.onFailure(conn, failure);
          },
        },
      );
    } catch (error) {
      if (this.current !== conn) return;
      this.endConnection(conn);
      this.onFailure(conn, { kind: 'network', message: error instanceof Error ? error.message : String(error) });
    }
  }

  /** Forgets the connection (closing its socket when `code` is given); commands it carried reject. */
  private endConnection(conn: Connection, code?: number, reason = '', abort = false): void {
    if (this.current !== conn) return;
    this.current = undefined;
    clearTimeout(this.connectTimer);
    conn.refresher?.stop();
    this.watchdog.stop();
    if (code !== undefined) conn.socket?.close(code, reason, abort);
    // A connection that stayed up a while proves the server healthy: start the backoff over.
    if (conn.live && now() - conn.liveAt >= this.reconnect.stableAfterMs) this.backoffStep = 0;
    if (conn.live) this.failedAttempts = 0;
    else this.failedAttempts++;
    this.commands.connectionClosed();
  }

  /** Decides what follows the end of a connection: reconnect (when, and how) or stop. */
  private onFailure(conn: Connection, failure: ConnectFailure): void {
    if (this.phase === 'stopped') return;
    if (failure.kind === 'close' && failure.code === TOKEN_EXPIRED_CLOSE_CODE && this.settings.getToken !== undefined) {
      // The token expired before a refresh got through: a new one from getToken, and back at once.
      this.scheduleReconnect('token expired; reconnecting with a new token', { immediate: conn.live });
      return;
    }
    const tokenGiven = this.settings.token !== undefined || this.settings.getToken !== undefined || this.base.searchParams.has('token');
    const decision = classifyFailure(failure, { tokenGiven });
    const what = this.scrub(decision.what);
    if (!decision.retry) {
      this.halt(decision.cause, `${STOP_LABELS[decision.cause]}: ${what}`);
      return;
    }
    this.scheduleReconnect(what, decision.delayMs === undefined ? {} : { retryAfterMs: decision.delayMs });
  }

  private scheduleReconnect(reason: string, how: { immediate?: boolean; retryAfterMs?: number }): void {
    if (this.failedAttempts >= this.reconnect.maxAttempts) {
      this.halt('max_attempts', `gave up after ${this.failedAttempts} failed attempts: ${reason}`);
      return;
    }
    const delayMs =
      how.retryAfterMs !== undefined
        ? retryAfterDelay(how.retryAfterMs)
        : how.immediate === true && this.backoffStep === 0
          ? 0
          : backoffDelay(this.backoffStep, this.reconnect);
    this.backoffStep++;
    this.setState({ state: 'reconnecting', reason, attempt: this.failedAttempts, delayMs });
    if (this.phase !== 'reconnecting') return; // a listener stopped the client
    this.retryTimer = setTimeout(() => void this.openConnection(), delayMs);
  }

  /** Stops for good: no socket, no timer left running, every waiting command rejected. */
  private halt(cause: StopReason, reason: string): void {
    this.generation++;
    clearTimeout(this.retryTimer);
    clearTimeout(this.connectTimer);
    this.watchdog.stop();
    const conn = this.current;
    this.current = undefined;
    conn?.refresher?.stop();
    conn?.socket?.close(1000, 'client stopped');
    this.commands.rejectAll(new TickstreamError('stopped', reason));
    this.setState({ state: 'stopped', reason, attempt: this.failedAttempts, cause });
  }

  private onSilence(silentMs: number): void {
    const conn = this.current;
    if (conn === undefined) return;
    // A dead peer would never finish a closing handshake: drop the connection at once.
    this.endConnection(conn, 1000, 'heartbeat timeout', true);
    this.onFailure(conn, { kind: 'network', message: `nothing received for ${silentMs} ms (heartbeat timeout)` });
  }

  // ------------------------------------------------------------------ messages

  private onMessage(conn: Connection, text: string): void {
    this.watchdog.touch();
    const message = decodeServerMessage(text);
    if (message === null) return; // not a message this version knows: ignore it
    this.emit('message', message);
    if (this.current !== conn) return; // a listener stopped the client
    switch (message.type) {
      case 'welcome':
        return this.onWelcome(conn, message);
      case 'snapshot':
        return this.onSnapshot(conn, message);
      case 'quotes':
        return this.onQuotes(conn, message);
      case 'epoch': {
        this.awaitingEpochSnapshot = true;
        this.relaxNextPush = false;
        const previous = this.book.enterEpoch(message.epoch);
        if (previous !== undefined) this.emit('epoch', { epoch: message.epoch, previous });
        return;
      }
      case 'subscriptions': {
        this.setSubscription(message.symbols);
        const command = this.commands.get(message.id);
        if (command?.type === 'subscribe') this.commands.acknowledge(message.id as number, message.symbols);
        else if (command?.type === 'unsubscribe') this.commands.resolve<'unsubscribe'>(message.id as number, message.symbols);
        return;
      }
      case 'interval':
        // Leaving a cadence above 0 flushes its pending values (latest per symbol) right after the ack.
        if (message.interval === 0 && this.intervalMs !== 0) this.relaxNextPush = true;
        this.intervalMs = message.interval;
        if (this.commands.get(message.id)?.type === 'interval') this.commands.resolve<'interval'>(message.id as number, message.interval);
        return;
      case 'pong':
        if (this.commands.get(message.id)?.type === 'ping') this.commands.resolve<'ping'>(message.id as number, message.ts);
        return;
      case 'refreshed':
        if (this.commands.get(message.id)?.type === 'refresh') {
          this.commands.resolve<'refresh'>(message.id as number, { sub: message.sub, expiresAt: message.expiresAt, removed: message.removed ?? [] });
        }
        return;
      case 'bars':
        if (this.commands.get(message.id)?.type === 'bars') {
          const { type: _type, id: _id, ...result } = message;
          this.commands.resolve<'bars'>(message.id as number, result);
        }
        return;
      case 'status':
        return this.setFeed({ feed: message.feed, ...(message.reason !== undefined ? { reason: message.reason } : {}) });
      case 'symbols':
        if (message.removed.length > 0) {
          const gone = new Set(message.removed);
          this.book.retain((symbol) => !gone.has(symbol));
        }
        return;
      case 'error': {
        const error = new TickstreamError(message.code, message.message, message.symbols ?? []);
        // A refused refresh is worth an event even though its promise takes it: nobody else awaits that promise.
        const isRefresh = this.commands.get(message.id)?.type === 'refresh';
        if (this.commands.reject(message.id, error) && !isRefresh) return;
        this.emit('error', {
          source: 'server',
          code: message.code,
          message: message.message,
          symbols: message.symbols ?? [],
          ...(message.id !== undefined ? { id: message.id } : {}),
        });
        return;
      }
      case 'heartbeat':
        return; // its only job was to arrive (watchdog.touch above)
    }
  }

  private onWelcome(conn: Connection, message: Extract<ServerMessage, { type: 'welcome' }>): void {
    clearTimeout(this.connectTimer);
    conn.welcomed = true;
    this.awaitingEpochSnapshot = false;
    this.relaxNextPush = false;
    this.intervalMs = message.interval;
    this.setSubscription(message.symbols);
    const timeout = this.settings.heartbeatTimeoutMs ?? (message.heartbeat > 0 ? 2 * message.heartbeat : 0);
    this.watchdog.arm(timeout);
    // Another epoch than the one held: the feed restarted while we were away; seqs start over.
    const previous = this.book.enterEpoch(message.epoch);
    if (previous !== undefined) this.emit('epoch', { epoch: message.epoch, previous });
    if (this.current !== conn) return;
    this.setFeed({ feed: message.feed.state, ...(message.feed.reason !== undefined ? { reason: message.feed.reason } : {}) });
    if (this.current !== conn) return;
    this.flushCommands();
  }

  private onSnapshot(conn: Connection, message: Extract<ServerMessage, { type: 'snapshot' }>): void {
    const { quotes, offset } = message;
    if (!conn.live) {
      // The connection's first state: exactly what was missed (recovered), or a complete new state.
      if (message.recovered === true) {
        let outcome = this.book.update(quotes, offset, this.intervalMs === 0);
        if (!outcome.ok) {
          // The server's own recovery skips a seq (it lost ticks itself): nothing better can be had,
          // and asking again would loop. Take it, and say so.
          this.emit('error', { source: 'client', code: 'unrecoverable_gap', message: describeGap(outcome.gap) });
          outcome = this.book.update(quotes, offset, false);
        }
        this.goLive(conn);
        if (outcome.ok && outcome.applied.length > 0 && this.current === conn) this.emit('quotes', { quotes: outcome.applied, recovered: true, offset });
      } else {
        const cause = this.everLive ? 'resync' : 'initial';
        this.book.replace(quotes, offset);
        this.goLive(conn);
        if (this.current === conn) this.emit('snapshot', { quotes, cause, replaced: true, offset });
      }
      if (this.current === conn) this.setState({ state: 'live', attempt: 0 });
      return;
    }
    if (this.awaitingEpochSnapshot && message.id === undefined) {
      this.awaitingEpochSnapshot = false;
      this.book.replace(quotes, offset);
      this.emit('snapshot', { quotes, cause: 'epoch', replaced: true, offset });
      return;
    }
    const command = this.commands.get(message.id);
    if (command?.type === 'snapshot') {
      // A read. Above interval 0 a newer value is taken (the server will not push a value it just sent);
      // at interval 0 it is not: a seq jump it carried would hide lost ticks from the gap check.
      if (this.intervalMs > 0) this.book.merge(quotes, (symbol) => this.isSubscribed(symbol));
      this.commands.resolve<'snapshot'>(message.id as number, quotes);
      this.emit('snapshot', { quotes, cause: 'request', replaced: false, offset });
      return;
    }
    // A subscribe's snapshot: the newly added symbols. Their values are taken, but the position stays
    // (the other symbols are not known to be complete up to this offset).
    this.book.merge(quotes);
    if (command?.type === 'subscribe') this.commands.resolve<'subscribe'>(message.id as number, { symbols: command.acked ?? [...this.symbols], quotes });
    this.emit('snapshot', { quotes, cause: 'subscribe', replaced: false, offset });
  }

  private onQuotes(conn: Connection, message: Extract<ServerMessage, { type: 'quotes' }>): void {
    const contiguous = this.intervalMs === 0 && !this.relaxNextPush;
    this.relaxNextPush = false;
    const outcome = this.book.update(message.quotes, message.offset, contiguous);
    if (!outcome.ok) {
      // Ticks were lost on the way (a server conflating a slow reader, a broker resync): recover them
      // by resuming from the position held before this message, instead of going on without them.
      const reason = `${describeGap(outcome.gap)}; recovering`;
      this.endConnection(conn, 1000, 'resync after a seq gap');
      this.scheduleReconnect(reason, { immediate: true });
      return;
    }
    if (outcome.applied.length > 0) this.emit('quotes', { quotes: outcome.applied, recovered: false, offset: message.offset });
  }

  private goLive(conn: Connection): void {
    conn.live = true;
    conn.liveAt = now();
    this.everLive = true;
    this.failedAttempts = 0;
    this.startRefresher(conn);
  }

  /** With getToken, a JWT is renewed on the open connection before it expires (a static token cannot be). */
  private startRefresher(conn: Connection): void {
    const getToken = this.settings.getToken;
    if (getToken === undefined || this.token === undefined || this.settings.refreshAheadMs <= 0) return;
    conn.refresher = new TokenRefresher({
      getToken,
      aheadMs: this.settings.refreshAheadMs,
      send: async (token) => {
        const result = await this.command('refresh', { token });
        if (this.current === conn) {
          this.token = token;
          this.emit('refreshed', result);
        }
        return result;
      },
      onTokenError: (message, cause) => this.emit('error', { source: 'client', code: 'token_unavailable', message, cause }),
    });
    conn.refresher.start(this.token);
  }

  private setSubscription(symbols: readonly string[]): void {
    this.symbols = [...symbols];
    this.symbolSet = new Set(symbols);
    this.book.retain((symbol) => this.isSubscribed(symbol));
  }

  private isSubscribed(symbol: string): boolean {
    return this.symbolSet.has(ALL_SYMBOLS) || this.symbolSet.has(symbol);
  }

  private setFeed(status: FeedStatusEvent): void {
    if (this.feed !== undefined && this.feed.feed === status.feed && this.feed.reason === status.reason) return;
    this.feed = status;
    this.emit('status', status);
  }

  private setState(event: StateEvent): void {
    this.phase = event.state;
    this.emit('state', event);
  }

  /** Text that came from elsewhere (a server's reason) never carries the token out. */
  private scrub(text: string): string {
    const token = this.token;
    return token !== undefined && token.length >= 4 ? text.split(token).join('***') : text;
  }
}

function describeGap(gap: Gap): string {
  return `seq gap in ${gap.symbol}: ${gap.held} then ${gap.got}`;
}

function checkSymbols(symbols: readonly string[]): TickstreamError | undefined {
  if (!Array.isArray(symbols) || symbols.length === 0) return new TickstreamError('invalid_argument', 'symbols must name at least one symbol (or "*")');
  const bad = symbols.find((s) => typeof s !== 'string' || s.trim() === '' || s.length > MAX_SYMBOL_LENGTH);
  return bad === undefined ? undefined : new TickstreamError('invalid_argument', `symbols must be 1 to ${MAX_SYMBOL_LENGTH} characters: ${JSON.stringify(bad)}`);
}

function now(): number {
  const perf = (globalThis as unknown as { performance?: { now(): number } }).performance;
  return perf !== undefined ? perf.now() : Date.now();
}
