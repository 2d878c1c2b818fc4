import { CloseCode } from '../../protocol/constants.js';
import { HandshakeRefusedError } from '../../protocol/index.js';
import { connect, type WebSocketConnection } from '../../transport/index.js';
import { Backoff, type BackoffOptions } from './backoff.js';
import { describeDelay, hostOf, redactSecrets } from './redact.js';
import { SendLimiter } from './send-limiter.js';

/**
 * One upstream WebSocket connection that stays connected: it reconnects with backoff and jitter
 * after any loss, watches for silence, and rotates itself before a provider's lifetime limit.
 * What to say on a fresh connection (authenticate, subscribe) is the adapter's business, through
 * the `opened` event; this class only knows sockets and time.
 *
 * - Liveness: any frame counts (a message, a ping, a pong). After staleAfterMs / 2 of silence it
 *   sends a ping (so a quiet market answered by a pong is not mistaken for a dead link); after
 *   staleAfterMs it reports `stale(true)`; after 2 × staleAfterMs it drops the connection and
 *   reconnects (a stalled upstream). The next frame reports `stale(false)`.
 * - Pings from the upstream are answered by the transport at once, with the same payload.
 * - A refused handshake (HTTP 401 ...) goes through `onRefused`: the adapter decides whether it is
 *   fatal. `fail()` closes for good reasons (bad credentials): the next attempt waits
 *   `retryAfterMs` (null: never), not the backoff, so a bad key never becomes a retry storm.
 * - The backoff starts over once a connection proved healthy: `link.healthy()`, or open for
 *   stableAfterMs.
 */

/** A fresh connection, as the adapter sees it. Stale once closed (sends are then dropped). */
export interface UpstreamLink {
  /** 1 for the first connection, 2 for the next one ... */
  readonly number: number;
  readonly open: boolean;
  /** Sends a text message now. */
  send(text: string): void;
  /**
   * Sends through the rate limiter (messagesPerSecond): `build` runs when the turn comes and
   * returns the message, or null when there is nothing left to send by then.
   */
  sendPaced(build: () => string | null): void;
  /** This connection works (authenticated, data flows): the next outage starts the backoff over. */
  healthy(): void;
}

export interface UpstreamEvents {
  /** A connection is open: authenticate and subscribe through `link`. */
  opened(link: UpstreamLink): void;
  /** A message; a binary one (no provider here sends any) arrives as '', which adapters count as malformed. */
  message(text: string, link: UpstreamLink): void;
  /**
   * The connection closed or could not be made; the next attempt starts in `retryInMs` (null: never).
   * `failed`: ended by fail() or a refusal onRefused judged fatal (not an ordinary outage).
   */
  closed(reason: string, retryInMs: number | null, failed: boolean): void;
  /** Nothing received for staleAfterMs (true), or something received again (false). */
  stale(isStale: boolean): void;
}

/** What a refused handshake or a fatal upstream answer means: a reason, and when to try again. */
export interface UpstreamFailure {
  readonly reason: string;
  /** null: never again (until restarted). */
  readonly retryAfterMs: number | null;
}

export interface UpstreamConnectionOptions {
  /** The endpoint; a function is called before each attempt (a URL may carry the current streams). */
  readonly url: string | (() => string);
  /** Names this connection in messages: 'finnhub', 'binance#2'. */
  readonly label: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly staleAfterMs: number;
  /** Reconnect proactively after this long (0 = never), e.g. before Binance's 24 h cut. */
  readonly maxLifetimeMs?: number;
  readonly backoff?: Partial<BackoffOptions>;
  /** A connection open this long counts as healthy when it drops. Default 10 000 ms. */
  readonly stableAfterMs?: number;
  /** Pacing of sendPaced() and of our liveness pings. Default: no pacing. */
  readonly messagesPerSecond?: number;
  readonly handshakeTimeoutMs?: number;
  readonly maxPayload?: number;
  /** Decides what a refused handshake means; undefined or null: an ordinary failure (backoff). */
  readonly onRefused?: (status: number, error: HandshakeRefusedError) => UpstreamFailure | null;
  readonly random?: () => number;
}

export interface UpstreamConnectionCounters {
  /** Connection attempts made. */
  readonly attempts: number;
  /** Connections that opened. */
  readonly connections: number;
}

const CLOSE_WAIT_MS = 1_000;
const PACING_WINDOW_MS = 1_100;

export class UpstreamConnection {
  readonly label: string;
  private readonly options: UpstreamConnectionOptions;
  private readonly events: UpstreamEvents;
  private readonly backoff: Backoff;
  private readonly random: () => number;
  private started = false;
  private stopped = false;
  private attemptCount = 0;
  private connectionCount = 0;
  private connecting: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private current: Link | undefined;

  constructor(options: UpstreamConnectionOptions, events: UpstreamEvents) {
    if (!(options.staleAfterMs > 0)) throw new RangeError(`staleAfterMs must be > 0, got ${options.staleAfterMs}`);
    this.options = options;
    this.label = options.label;
    this.events = events;
    this.random = options.random ?? Math.random;
    this.backoff = new Backoff(options.backoff, this.random);
  }

  get counters(): UpstreamConnectionCounters {
    return { attempts: this.attemptCount, connections: this.connectionCount };
  }

  /** Whether a connection is open now. */
  get isOpen(): boolean {
    return this.current !== undefined && this.current.open;
  }

  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    this.attempt();
  }

  /**
   * Closes the current connection for a reason retrying soon cannot fix (credentials refused, a plan
   * limit): `closed(reason, retryAfterMs)` follows and the next attempt waits that long (null: none).
   */
  fail(failure: UpstreamFailure): void {
    const link = this.current;
    if (link === undefined || !link.open) return;
    link.ending = { kind: 'fail', failure };
    link.conn.close(CloseCode.Normal, 'closing');
  }

  /** Drops the current connection as an ordinary failure: the next attempt follows the backoff. */
  drop(reason: string): void {
    const link = this.current;
    if (link === undefined || !link.open) return;
    link.ending = { kind: 'drop', reason };
    link.conn.close(CloseCode.Normal, 'reconnecting');
  }

  /** Closes the current connection and reconnects at once (plus a little jitter): rotation, server shutdown. */
  restart(reason: string): void {
    const link = this.current;
    if (link === undefined || !link.open) return;
    link.ending = { kind: 'restart', reason };
    link.conn.close(CloseCode.Normal, 'reconnecting');
  }

  /** Closes for good; resolves once the socket is gone (bounded: a peer that never answers is dropped). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const link = this.current;
    if (link !== undefined) await link.shutdown();
    if (this.connecting !== undefined) await this.connecting;
  }

  private attempt(): void {
    this.retryTimer = undefined;
    if (this.stopped) return;
    let url: string;
    try {
      url = typeof this.options.url === 'function' ? this.options.url() : this.options.url;
    } catch (error) {
      this.retry(`${this.label}: ${(error as Error).message}`, this.backoff.next());
      return;
    }
    this.attemptCount++;
    const { headers, handshakeTimeoutMs, maxPayload } = this.options;
    this.connecting = connect(url, {
      ...(headers !== undefined ? { headers: { ...headers } } : {}),
      ...(handshakeTimeoutMs !== undefined ? { handshakeTimeoutMs } : {}),
      ...(maxPayload !== undefined ? { maxPayload } : {}),
    }).then(
      (conn) => {
        this.connecting = undefined;
        this.opened(conn);
      },
      (error: unknown) => {
        this.connecting = undefined;
        this.connectFailed(error, url);
      },
    );
  }

  private opened(conn: WebSocketConnection): void {
    if (this.stopped) {
      conn.terminate();
      return;
    }
    this.connectionCount++;
    // The window is a little longer than a second: the provider counts arrivals, and network jitter can
    // bring two messages sent a second apart closer than that.
    const limiter = this.options.messagesPerSecond === undefined ? null : new SendLimiter(this.options.messagesPerSecond, PACING_WINDOW_MS);
    const link = new Link(conn, this.connectionCount, limiter, this.options.staleAfterMs, this.events);
    this.current = link;
    conn.on('close', (code: number, reason: string) => this.closed(link, code, reason));
    link.watch(() => {
      link.ending ??= { kind: 'silent', reason: `${this.label}: no message for ${describeDelay(2 * this.options.staleAfterMs)}` };
      conn.terminate();
    });
    const lifetime = this.options.maxLifetimeMs ?? 0;
    if (lifetime > 0) link.lifetimeTimer = setTimeout(() => this.restart(`${this.label}: rotating the connection before the provider's time limit`), lifetime).unref();
    this.events.opened(link);
  }

  private closed(link: Link, code: number, reason: string): void {
    link.dispose();
    if (this.current === link) this.current = undefined;
    if (this.stopped) return;
    const ending = link.ending;
    if (ending?.kind === 'fail') {
      this.retry(ending.failure.reason, ending.failure.retryAfterMs, true);
      return;
    }
    if (ending?.kind === 'restart') {
      this.backoff.reset();
      this.retry(ending.reason, Math.round(250 * this.random()));
      return;
    }
    if (link.isHealthy || performance.now() - link.openedAt >= (this.options.stableAfterMs ?? 10_000)) this.backoff.reset();
    const why = ending?.kind === 'silent' || ending?.kind === 'drop' ? ending.reason : `${this.label}: connection closed (${code}${reason === '' ? '' : ' ' + reason})`;
    this.retry(why, this.backoff.next());
  }

  private connectFailed(error: unknown, url: string): void {
    if (this.stopped) return;
    if (error instanceof HandshakeRefusedError) {
      const failure = this.options.onRefused?.(error.status, error);
      if (failure != null) {
        this.retry(failure.reason, failure.retryAfterMs, true);
        return;
      }
    }
    const message = error instanceof Error ? error.message : String(error);
    this.retry(`${this.label}: cannot connect to ${hostOf(url)}: ${redactSecrets(message)}`, this.backoff.next());
  }

  private retry(reason: string, delayMs: number | null, failed = false): void {
    if (this.stopped) return;
    this.events.closed(reason, delayMs, failed);
    if (delayMs === null) return;
    this.retryTimer = setTimeout(() => this.attempt(), delayMs);
    this.retryTimer.unref();
  }
}

type Ending =
  | { kind: 'fail'; failure: UpstreamFailure }
  | { kind: 'restart'; reason: string }
  | { kind: 'drop'; reason: string }
  | { kind: 'silent'; reason: string };

/** One connection's lifetime: its socket, pacing, silence watch and how it is meant to end. */
class Link implements UpstreamLink {
  readonly conn: WebSocketConnection;
  readonly number: number;
  readonly openedAt = performance.now();
  ending: Ending | undefined;
  isHealthy = false;
  lifetimeTimer: NodeJS.Timeout | undefined;
  private readonly limiter: SendLimiter | null;
  private readonly staleAfterMs: number;
  private readonly events: UpstreamEvents;
  private lastSeen = performance.now();
  private lastProbe = 0;
  private isStale = false;
  private watchTimer: NodeJS.Timeout | undefined;
  private disposed = false;

  constructor(conn: WebSocketConnection, number: number, limiter: SendLimiter | null, staleAfterMs: number, events: UpstreamEvents) {
    this.conn = conn;
    this.number = number;
    this.limiter = limiter;
    this.staleAfterMs = staleAfterMs;
    this.events = events;
    const seen = (): void => this.seen();
    conn.on('message', (data: Buffer, isText: boolean) => {
      this.seen();
      if (!this.disposed) this.events.message(isText ? data.toString('utf8') : '', this);
    });
    conn.on('ping', seen);
    conn.on('pong', seen);
    conn.on('error', () => {}); // a 'close' always follows
  }

  get open(): boolean {
    return !this.disposed && this.ending === undefined && this.conn.readyState === 1;
  }

  send(text: string): void {
    if (this.open) this.conn.send(text);
  }

  sendPaced(build: () => string | null): void {
    if (this.limiter === null) {
      const text = build();
      if (text !== null) this.send(text);
      return;
    }
    this.limiter.schedule(() => {
      if (!this.open) return false;
      const text = build();
      if (text === null) return false;
      this.conn.send(text);
      return true;
    });
  }

  healthy(): void {
    this.isHealthy = true;
  }

  /** Checks the silence a few times per staleAfterMs; `dead` is called after 2 × staleAfterMs of it. */
  watch(dead: () => void): void {
    const every = Math.max(20, Math.min(1000, this.staleAfterMs / 4));
    this.watchTimer = setInterval(() => {
      const silent = performance.now() - this.lastSeen;
      if (silent >= 2 * this.staleAfterMs) {
        dead();
        return;
      }
      if (silent >= this.staleAfterMs && !this.isStale) {
        this.isStale = true;
        this.events.stale(true);
      }
      const now = performance.now();
      if (silent >= this.staleAfterMs / 2 && now - this.lastProbe >= this.staleAfterMs / 2) {
        this.lastProbe = now;
        this.probe();
      }
    }, every);
    this.watchTimer.unref();
  }

  /** Closes and waits for the socket to go (terminates it after a bound). */
  shutdown(): Promise<void> {
    if (this.disposed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.conn.terminate(), CLOSE_WAIT_MS);
      this.conn.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      this.ending ??= { kind: 'restart', reason: 'stopped' };
      if (this.conn.readyState === 1) this.conn.close(CloseCode.Normal, 'stopping');
      else this.conn.terminate();
    });
  }

  dispose(): void {
    this.disposed = true;
    clearInterval(this.watchTimer);
    clearTimeout(this.lifetimeTimer);
    this.limiter?.clear();
  }

  private seen(): void {
    this.lastSeen = performance.now();
    if (this.isStale) {
      this.isStale = false;
      if (!this.disposed) this.events.stale(false);
    }
  }

  /** A ping: its pong proves the link alive in a quiet market. Paced like any message (Binance counts pings). */
  private probe(): void {
    if (this.limiter === null) {
      if (this.open) this.conn.ping();
      return;
    }
    this.limiter.schedule(() => this.open && this.conn.ping());
  }
}
