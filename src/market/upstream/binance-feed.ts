import type { QuoteUpdate } from '../normaliser.js';
import { BinanceConnection } from './binance-connection.js';
import {
  BINANCE_MAX_STREAMS,
  BINANCE_MESSAGES_PER_SECOND,
  BINANCE_URL,
  describeBinanceSymbol,
  parseBinanceMessage,
  type MiniTicker,
} from './binance-messages.js';
import { InterestTracker } from './interest.js';
import { describeDelay, hostOf, redactSecrets } from './redact.js';
import type { UpstreamLink } from './upstream-connection.js';
import { UpstreamFeed, type UpstreamFeedOptions } from './upstream-feed.js';

export interface BinanceFeedOptions extends UpstreamFeedOptions {
  /** Subscribe to exactly these symbols, always (`--feed-symbols`). Without: interest-driven. */
  readonly symbols?: readonly string[];
  /** Interest-driven mode: symbols subscribed whatever clients want (`--feed binance:BTCUSDT,ETHUSDT`). */
  readonly alwaysOn?: readonly string[];
  /** Interest-driven mode: how long a symbol nobody wants stays subscribed. Default 30 000 ms. */
  readonly holdMs?: number;
  /** Interest-driven mode: most symbols subscribed at once. Default 5 000. */
  readonly maxSymbols?: number;
  /** Streams per connection (Binance allows 1,024); above, the feed opens more connections. */
  readonly maxStreamsPerConnection?: number;
  /** Our messages per second per connection, pings included (Binance allows 5). Default 4. */
  readonly messagesPerSecond?: number;
  /** How long the all-market ticker is watched after its first message to learn the universe. Default 3 000 ms. */
  readonly discoveryMs?: number;
  /** Give up waiting for the all-market ticker after this long. Default 10 000 ms. */
  readonly discoveryTimeoutMs?: number;
  /** Reconnect proactively after this long (plus up to 30 min of jitter per connection), before Binance's 24 h cut. Default 23 h. */
  readonly maxLifetimeMs?: number;
  readonly random?: () => number;
}

const HOUR_MS = 3_600_000;

/**
 * `--feed binance`: Binance spot market streams; bid/ask from `<symbol>@bookTicker`, last and volume
 * from `<symbol>@trade`, one Quote through the shared normaliser. No key is needed.
 *
 * Two modes:
 * - `--feed-symbols BTCUSDT,ETHUSDT`: exactly those, always;
 * - without: interest-driven. The universe (every pair, with its 24 h open as prevClose) is learnt from
 *   the all-market mini ticker for a few seconds after each connection of the first socket; upstream
 *   subscriptions follow `interest()` (what clients subscribe to) plus the always-on list, with the
 *   InterestTracker's hysteresis.
 *
 * Limits kept: at most `messagesPerSecond` (4) messages per connection and second, requests batched
 * (many streams per SUBSCRIBE); at most 1,024 streams per connection, further connections opened as
 * needed; each connection rotated before 24 h; server pings answered with the same payload by the
 * transport; a `serverShutdown` event reconnects at once. Trades and book updates repeated across a
 * reconnection are dropped by their ids.
 */
export class BinanceFeed extends UpstreamFeed {
  private readonly options: BinanceFeedOptions;
  private readonly baseUrl: string;
  private readonly host: string;
  private readonly maxStreams: number;
  private readonly staticSymbols: readonly string[] | undefined;
  private readonly alwaysOn: readonly string[];
  private readonly tracker: InterestTracker | undefined;
  private readonly random: () => number;
  private readonly connections: BinanceConnection[] = [];
  private readonly connectionOf = new Map<string, BinanceConnection>();
  /** Symbols the upstream lists (from the all-market ticker), with their 24 h open. */
  private readonly listed = new Map<string, MiniTicker>();
  private readonly lastTradeId = new Map<string, number>();
  private readonly lastBookId = new Map<string, number>();
  private retiredAttempts = 0;
  private nextIndex = 0;
  private discoveryTimer: NodeJS.Timeout | undefined;
  private learnt = new Map<string, MiniTicker>();
  private universeKnown = false;

  constructor(options: BinanceFeedOptions = {}) {
    super('binance', options, describeBinanceSymbol);
    this.options = options;
    this.baseUrl = options.url ?? BINANCE_URL;
    this.host = hostOf(this.baseUrl);
    this.random = options.random ?? Math.random;
    this.maxStreams = options.maxStreamsPerConnection ?? BINANCE_MAX_STREAMS;
    if (!(Number.isInteger(this.maxStreams) && this.maxStreams >= 3 && this.maxStreams <= BINANCE_MAX_STREAMS)) {
      throw new RangeError(`maxStreamsPerConnection must be an integer in 3..${BINANCE_MAX_STREAMS}, got ${this.maxStreams}`);
    }
    const upper = (list: readonly string[] | undefined): string[] | undefined => (list === undefined ? undefined : [...new Set(list.map((s) => s.toUpperCase()))]);
    this.staticSymbols = upper(options.symbols);
    if (this.staticSymbols !== undefined && this.staticSymbols.length === 0) throw new Error('binance: the symbol list is empty');
    this.alwaysOn = this.staticSymbols === undefined ? (upper(options.alwaysOn) ?? []) : [];
    const bad = [...(this.staticSymbols ?? []), ...this.alwaysOn].filter((s) => !/^[A-Z0-9]{2,30}$/.test(s));
    if (bad.length > 0) throw new Error(`binance: not a Binance symbol: ${bad.slice(0, 5).join(', ')} (use e.g. BTCUSDT)`);
    if (this.staticSymbols === undefined) {
      this.tracker = new InterestTracker({
        alwaysOn: this.alwaysOn,
        ...(options.holdMs !== undefined ? { holdMs: options.holdMs } : {}),
        ...(options.maxSymbols !== undefined ? { maxSymbols: options.maxSymbols } : {}),
        onChange: (added, removed) => {
          this.release(removed);
          this.assign(added);
        },
        onOverflow: (leftOut) => this.logger.warn({ feed: this.name, leftOut }, `binance: more symbols wanted than the upstream limit of ${options.maxSymbols ?? 5_000}; ${leftOut} left out`),
      });
    }
  }

  /** 'static' with --feed-symbols, 'interest' otherwise. */
  get mode(): 'static' | 'interest' {
    return this.tracker === undefined ? 'static' : 'interest';
  }

  /** The symbols subscribed upstream (or being subscribed) now. */
  get subscribed(): ReadonlySet<string> {
    return new Set(this.connectionOf.keys());
  }

  /** Connections in use (one per 1,024 streams). */
  get connectionCount(): number {
    return this.connections.length;
  }

  /** The union of the clients' explicit subscriptions (from the hub); only used in interest-driven mode. */
  interest(symbols: ReadonlySet<string>): void {
    if (this.tracker === undefined || !this.live) return;
    const wanted: string[] = [];
    for (const symbol of symbols) {
      const upper = symbol.toUpperCase();
      if (this.listed.has(upper) || this.quotes.isAnnounced(upper)) wanted.push(upper);
    }
    this.tracker.want(wanted);
  }

  protected run(): void {
    const initial = this.staticSymbols ?? this.alwaysOn;
    this.announce(initial);
    this.reportStatus('down', `connecting to ${this.host}`);
    this.logger.info(
      { feed: this.name, url: redactSecrets(this.baseUrl), mode: this.mode, symbols: initial.length },
      this.mode === 'static' ? `binance: connecting for ${initial.length} symbols` : `binance: connecting; subscriptions follow the clients (${initial.length} always on)`,
    );
    const first = this.newConnection();
    this.assign(initial);
    first.start();
  }

  protected async halt(): Promise<void> {
    clearTimeout(this.discoveryTimer);
    this.tracker?.stop();
    await Promise.all(this.connections.map((c) => c.stop()));
  }

  protected connectAttempts(): number {
    return this.connections.reduce((sum, c) => sum + c.counters.attempts, this.retiredAttempts);
  }

  protected subscribedSymbols(): number {
    return this.connectionOf.size;
  }

  /** Puts symbols on connections with room, opening more connections when all are full. */
  private assign(symbols: readonly string[]): void {
    const byConnection = new Map<BinanceConnection, string[]>();
    for (const symbol of symbols) {
      if (this.connectionOf.has(symbol)) continue;
      let target = this.connections.find((c) => c.streamCount + 2 + (byConnection.get(c)?.length ?? 0) * 2 <= this.maxStreams);
      if (target === undefined) {
        target = this.newConnection();
        target.start();
      }
      this.connectionOf.set(symbol, target);
      const list = byConnection.get(target);
      if (list === undefined) byConnection.set(target, [symbol]);
      else list.push(symbol);
    }
    for (const [connection, list] of byConnection) connection.add(list);
  }

  private release(symbols: readonly string[]): void {
    const byConnection = new Map<BinanceConnection, string[]>();
    for (const symbol of symbols) {
      const connection = this.connectionOf.get(symbol);
      if (connection === undefined) continue;
      this.connectionOf.delete(symbol);
      const list = byConnection.get(connection);
      if (list === undefined) byConnection.set(connection, [symbol]);
      else list.push(symbol);
    }
    for (const [connection, list] of byConnection) {
      connection.remove(list);
      // Extra connections go when they carry nothing; the first one stays (it learns the universe).
      if (connection.index > 0 && connection.symbols.size === 0) this.retire(connection);
    }
  }

  private retire(connection: BinanceConnection): void {
    const at = this.connections.indexOf(connection);
    if (at <= 0) return;
    this.connections.splice(at, 1);
    this.retiredAttempts += connection.counters.attempts;
    void connection.stop();
    this.updateStatus();
  }

  /** A new connection (not started yet); indexes are never reused. */
  private newConnection(): BinanceConnection {
    const index = this.nextIndex++;
    const lifetime = this.options.maxLifetimeMs ?? 23 * HOUR_MS;
    const connection = new BinanceConnection(
      {
        baseUrl: this.baseUrl,
        index,
        maxStreams: this.maxStreams,
        messagesPerSecond: this.options.messagesPerSecond ?? BINANCE_MESSAGES_PER_SECOND,
        staleAfterMs: this.staleAfterMs,
        maxLifetimeMs: lifetime + Math.round(this.random() * Math.min(lifetime / 40, HOUR_MS / 2)),
        ...(this.options.backoff !== undefined ? { backoff: this.options.backoff } : {}),
        ...(this.options.handshakeTimeoutMs !== undefined ? { handshakeTimeoutMs: this.options.handshakeTimeoutMs } : {}),
        refusedRetryMs: this.authRetryMs,
      },
      {
        opened: (c, link) => this.opened(c, link),
        message: (text, c, link) => this.message(text, c, link),
        changed: () => this.updateStatus(),
        closed: (c, retryInMs, failed) => {
          if (c.index === 0) this.endDiscovery();
          if (failed) this.logger.error({ feed: this.name, connection: c.index + 1, retryInMs }, c.reason);
          else this.logger.warn({ feed: this.name, connection: c.index + 1, retryInMs }, c.reason);
        },
      },
    );
    this.connections.push(connection);
    return connection;
  }

  private opened(connection: BinanceConnection, link: UpstreamLink): void {
    if (link.number > 1) this.counters.reconnects++;
    this.logger.info({ feed: this.name, connection: connection.index + 1, symbols: connection.symbols.size }, `binance: connected to ${this.host}`);
    if (connection.isDiscovering) {
      this.learnt = new Map();
      clearTimeout(this.discoveryTimer);
      this.discoveryTimer = setTimeout(() => this.endDiscovery(), this.options.discoveryTimeoutMs ?? 10_000);
      this.discoveryTimer.unref();
    }
  }

  private message(text: string, connection: BinanceConnection, link: UpstreamLink): void {
    this.counters.message();
    const event = parseBinanceMessage(text);
    const updates: QuoteUpdate[] = [];
    switch (event.kind) {
      case 'trade': {
        link.healthy();
        this.counters.stamp(event.eventTime);
        if (event.tradeId <= (this.lastTradeId.get(event.symbol) ?? -1)) return; // seen before a reconnection
        this.lastTradeId.set(event.symbol, event.tradeId);
        updates.push({ symbol: event.symbol, last: event.price, size: event.quantity, ts: event.tradeTime });
        break;
      }
      case 'book': {
        link.healthy();
        if (event.updateId <= (this.lastBookId.get(event.symbol) ?? -1)) return;
        this.lastBookId.set(event.symbol, event.updateId);
        if (event.bid === undefined && event.ask === undefined) return;
        updates.push({ symbol: event.symbol, ...(event.bid !== undefined ? { bid: event.bid } : {}), ...(event.ask !== undefined ? { ask: event.ask } : {}) });
        break;
      }
      case 'tickers':
        for (let i = 0; i < event.badEntries; i++) this.malformed('a mini ticker without s, o or c');
        if (event.eventTime !== undefined) this.counters.stamp(event.eventTime);
        if (connection.isDiscovering) this.learn(event.tickers);
        return;
      case 'error':
        this.logger.warn({ feed: this.name, connection: connection.index + 1, code: event.code, id: event.id }, `binance: request refused: ${event.message.slice(0, 200)}`);
        return;
      case 'shutdown':
        connection.restart(`binance#${connection.index + 1}: the server announced a shutdown`);
        return;
      case 'malformed':
        this.malformed(event.why);
        return;
      case 'result':
      case 'other':
        return;
    }
    this.deliver(updates);
  }

  /** Mini tickers during discovery: remembered; the window closes discoveryMs after the first. */
  private learn(tickers: readonly MiniTicker[]): void {
    const first = this.learnt.size === 0;
    for (const ticker of tickers) this.learnt.set(ticker.symbol, ticker);
    if (first && tickers.length > 0) {
      clearTimeout(this.discoveryTimer);
      this.discoveryTimer = setTimeout(() => this.endDiscovery(), this.options.discoveryMs ?? 3_000);
      this.discoveryTimer.unref();
    }
  }

  /** Announces what discovery learnt (new symbols; previous closes of symbols not quoted yet) and drops the ticker. */
  private endDiscovery(): void {
    clearTimeout(this.discoveryTimer);
    this.discoveryTimer = undefined;
    this.connections[0]?.endDiscovery();
    const learnt = this.learnt;
    this.learnt = new Map();
    if (learnt.size === 0 || !this.live) return;
    for (const [symbol, ticker] of learnt) {
      this.listed.set(symbol, ticker);
      this.quotes.hintPrevClose(symbol, ticker.open);
    }
    const announce = this.staticSymbols ?? [...this.listed.keys()].sort();
    this.announce(announce);
    if (!this.universeKnown) {
      this.universeKnown = true;
      this.logger.info({ feed: this.name, listed: this.listed.size }, `binance: ${this.listed.size} symbols listed`);
      const unknown = (this.staticSymbols ?? this.alwaysOn).filter((s) => !this.listed.has(s));
      if (unknown.length > 0) {
        this.logger.warn({ feed: this.name, symbols: unknown.slice(0, 20) }, `binance: ${unknown.length} configured symbols were not in the all-market ticker (not listed, or no trade in 24 h)`);
      }
    }
  }

  /** The feed's status: the worst of its connections (down, then stale), with that connection's reason. */
  private updateStatus(): void {
    const down = this.connections.find((c) => c.state === 'down');
    if (down !== undefined) {
      const which = this.connections.length > 1 ? ` (connection ${down.index + 1} of ${this.connections.length})` : '';
      this.reportStatus('down', down.reason === 'connecting' ? `connecting to ${this.host}${which}` : `${down.reason}${which}`);
      return;
    }
    if (this.connections.some((c) => c.state === 'stale')) {
      this.reportStatus('stale', `no message from ${this.host} for ${describeDelay(this.staleAfterMs)}`);
      return;
    }
    this.reportStatus('up');
  }
}
