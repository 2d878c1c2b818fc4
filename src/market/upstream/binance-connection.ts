import type { FeedState } from '../feed.js';
import type { BackoffOptions } from './backoff.js';
import { binanceRequest, DISCOVERY_STREAM, streamsOf } from './binance-messages.js';
import { describeDelay, redactSecrets } from './redact.js';
import { UpstreamConnection, type UpstreamConnectionCounters, type UpstreamLink } from './upstream-connection.js';

export interface BinanceConnectionOptions {
  /** The combined-stream endpoint, e.g. wss://stream.binance.com:9443/stream. */
  readonly baseUrl: string;
  /** 0 for the first connection (which also learns the universe), 1, 2 ... for more. */
  readonly index: number;
  readonly maxStreams: number;
  readonly messagesPerSecond: number;
  readonly staleAfterMs: number;
  readonly maxLifetimeMs: number;
  /** Most streams named in one SUBSCRIBE / UNSUBSCRIBE. Default 200. */
  readonly maxParamsPerMessage?: number;
  /** Streams named in the connection URL, up to this many characters of it. Default 1,500. */
  readonly urlBudget?: number;
  readonly backoff?: Partial<BackoffOptions>;
  readonly handshakeTimeoutMs?: number;
  /** After a refusal retrying soon cannot fix (HTTP 451, 418, 429), wait this long (null: never). */
  readonly refusedRetryMs: number | null;
}

export interface BinanceConnectionEvents {
  opened(connection: BinanceConnection, link: UpstreamLink): void;
  message(text: string, connection: BinanceConnection, link: UpstreamLink): void;
  /** state or reason changed. */
  changed(connection: BinanceConnection): void;
  /** The connection is down (its `reason` says why and what next); `failed`: refused in a way retrying soon cannot fix. */
  closed(connection: BinanceConnection, retryInMs: number | null, failed: boolean): void;
}

/**
 * One Binance connection and the streams on it. The symbols assigned to it are its truth; on every
 * (re)connection the first streams go into the URL and the rest follow in SUBSCRIBE messages. Later
 * changes are batched: a change only marks streams to (un)subscribe, and the message is built when
 * the rate limiter lets the next one go, so everything that piled up meanwhile travels together
 * (unsubscriptions first, to stay under the stream limit). The first connection (index 0) also
 * carries the all-market mini ticker while the feed learns the universe.
 */
export class BinanceConnection {
  readonly index: number;
  /** Symbols assigned to this connection (uppercase, as Binance names them). */
  readonly symbols = new Set<string>();
  state: FeedState = 'down';
  reason = 'connecting';
  private readonly options: BinanceConnectionOptions;
  private readonly events: BinanceConnectionEvents;
  private readonly connection: UpstreamConnection;
  private link: UpstreamLink | undefined;
  /** Streams subscribed on the current link (named in its URL or sent in a SUBSCRIBE). */
  private readonly live = new Set<string>();
  private readonly toSubscribe = new Set<string>();
  private readonly toUnsubscribe = new Set<string>();
  private flushQueued = false;
  private nextId = 1;
  private discovering = false;
  /** Streams the URL of the attempt in progress names. */
  private urlStreams: readonly string[] = [];

  constructor(options: BinanceConnectionOptions, events: BinanceConnectionEvents) {
    this.options = options;
    this.index = options.index;
    this.events = events;
    this.connection = new UpstreamConnection(
      {
        url: () => this.url(),
        label: `binance#${options.index + 1}`,
        staleAfterMs: options.staleAfterMs,
        maxLifetimeMs: options.maxLifetimeMs,
        messagesPerSecond: options.messagesPerSecond,
        ...(options.backoff !== undefined ? { backoff: options.backoff } : {}),
        ...(options.handshakeTimeoutMs !== undefined ? { handshakeTimeoutMs: options.handshakeTimeoutMs } : {}),
        onRefused: (status, error) => {
          const label = `binance#${options.index + 1}`;
          if (status === 451) {
            return { reason: `${label}: the endpoint refuses this location (HTTP 451); use --feed-url for another one (e.g. wss://stream.binance.us:9443/stream)`, retryAfterMs: options.refusedRetryMs };
          }
          if (status === 418 || status === 429) {
            const after = Number(error.header('retry-after'));
            const waitMs = Math.max(60_000, Number.isFinite(after) ? after * 1000 : 0);
            return { reason: `${label}: ${status === 418 ? 'this address is banned for a while' : 'rate limited'} (HTTP ${status})`, retryAfterMs: waitMs };
          }
          return null;
        },
      },
      {
        opened: (link) => this.opened(link),
        message: (text, link) => this.events.message(text, this, link),
        closed: (reason, retryInMs, failed) => {
          this.link = undefined;
          this.discovering = false;
          const next = retryInMs === null ? 'not retrying' : failed ? `retrying in ${describeDelay(retryInMs)}` : 'reconnecting';
          this.set('down', `${redactSecrets(reason)}; ${next}`);
          this.events.closed(this, retryInMs, failed);
        },
        stale: (stale) => this.set(stale ? 'stale' : 'up', stale ? 'no message' : ''),
      },
    );
  }

  get counters(): UpstreamConnectionCounters {
    return this.connection.counters;
  }

  /** Streams this connection may hold: two per symbol, plus one on the first connection for the mini ticker. */
  get streamCount(): number {
    return 2 * this.symbols.size + (this.index === 0 ? 1 : 0);
  }

  /** Whether the all-market ticker is subscribed on the current link (index 0, until endDiscovery()). */
  get isDiscovering(): boolean {
    return this.discovering;
  }

  start(): void {
    this.connection.start();
  }

  stop(): Promise<void> {
    return this.connection.stop();
  }

  /** Reconnects at once (the server announced a shutdown). */
  restart(reason: string): void {
    this.connection.restart(reason);
  }

  add(symbols: Iterable<string>): void {
    for (const symbol of symbols) {
      if (this.symbols.has(symbol)) continue;
      this.symbols.add(symbol);
      for (const stream of streamsOf(symbol)) {
        if (this.toUnsubscribe.delete(stream)) continue; // still live: nothing to send
        if (!this.live.has(stream)) this.toSubscribe.add(stream);
      }
    }
    this.flush();
  }

  remove(symbols: Iterable<string>): void {
    for (const symbol of symbols) {
      if (!this.symbols.delete(symbol)) continue;
      for (const stream of streamsOf(symbol)) {
        if (this.toSubscribe.delete(stream)) continue; // never sent: nothing to undo
        if (this.live.has(stream)) this.toUnsubscribe.add(stream);
      }
    }
    this.flush();
  }

  /** The feed has learnt the universe: drop the all-market ticker (a large message every second). */
  endDiscovery(): void {
    if (!this.discovering) return;
    this.discovering = false;
    if (this.live.has(DISCOVERY_STREAM)) this.toUnsubscribe.add(DISCOVERY_STREAM);
    this.flush();
  }

  /** Every stream this connection should hold now. */
  private desiredStreams(): string[] {
    const streams: string[] = [];
    for (const symbol of this.symbols) streams.push(...streamsOf(symbol));
    return streams;
  }

  /** The URL of the next attempt: as many streams as fit in it (the first connection starts with the mini ticker). */
  private url(): string {
    const budget = this.options.urlBudget ?? 1_500;
    const wanted = this.index === 0 ? [DISCOVERY_STREAM, ...this.desiredStreams()] : this.desiredStreams();
    const named: string[] = [];
    let length = this.options.baseUrl.length + 9;
    for (const stream of wanted) {
      if (named.length > 0 && length + stream.length + 1 > budget) break;
      named.push(stream);
      length += stream.length + 1;
    }
    this.urlStreams = named;
    if (named.length === 0) return this.options.baseUrl;
    return `${this.options.baseUrl}${this.options.baseUrl.includes('?') ? '&' : '?'}streams=${named.join('/')}`;
  }

  private opened(link: UpstreamLink): void {
    this.link = link;
    this.live.clear();
    this.toSubscribe.clear();
    this.toUnsubscribe.clear();
    this.flushQueued = false;
    for (const stream of this.urlStreams) this.live.add(stream);
    this.discovering = this.live.has(DISCOVERY_STREAM);
    const desired = new Set(this.desiredStreams());
    for (const stream of desired) if (!this.live.has(stream)) this.toSubscribe.add(stream);
    for (const stream of this.live) if (stream !== DISCOVERY_STREAM && !desired.has(stream)) this.toUnsubscribe.add(stream);
    this.set('up', '');
    this.events.opened(this, link);
    this.flush();
  }

  /** Queues one paced request; it takes whatever is pending when its turn comes. */
  private flush(): void {
    const link = this.link;
    if (link === undefined || !link.open || this.flushQueued) return;
    if (this.toSubscribe.size === 0 && this.toUnsubscribe.size === 0) return;
    this.flushQueued = true;
    link.sendPaced(() => {
      this.flushQueued = false;
      if (link !== this.link) return null;
      const message = this.nextRequest();
      if (this.toSubscribe.size > 0 || this.toUnsubscribe.size > 0) this.flush();
      return message;
    });
  }

  private nextRequest(): string | null {
    const max = this.options.maxParamsPerMessage ?? 200;
    const unsubscribing = this.toUnsubscribe.size > 0;
    const pending = unsubscribing ? this.toUnsubscribe : this.toSubscribe;
    if (pending.size === 0) return null;
    const params: string[] = [];
    for (const stream of pending) {
      if (params.length === max) break;
      params.push(stream);
    }
    for (const stream of params) {
      pending.delete(stream);
      if (unsubscribing) this.live.delete(stream);
      else this.live.add(stream);
    }
    return binanceRequest(unsubscribing ? 'UNSUBSCRIBE' : 'SUBSCRIBE', params, this.nextId++);
  }

  private set(state: FeedState, reason: string): void {
    if (this.state === state && this.reason === reason) return;
    this.state = state;
    this.reason = reason;
    this.events.changed(this);
  }
}
