import { EventEmitter } from 'node:events';
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { CloseCode, CloseReason, Defaults } from '../protocol/constants.js';
import { acceptUpgrade, formatHttpResponse, headersFromRaw, type ServerHandshakeResult } from '../protocol/handshake-server.js';
import type { DeflateOptions } from '../protocol/permessage-deflate.js';
import { connectionSettings, WebSocketConnection, type ConnectionSettings } from './connection.js';
import { ReadyState } from './ready-state.js';
import { AddressLimits, type AddressLimitOptions } from './address-limits.js';
import { interceptUpgrades } from './fast-upgrade.js';
import type { UpgradeRequest } from './upgrade-request.js';

/** Answer of a verify hook: true accepts, an object refuses the upgrade with that HTTP status. */
export type VerifyResult = true | { status: number; message?: string; headers?: Record<string, string> };
export type VerifyHook = (request: UpgradeRequest) => VerifyResult | Promise<VerifyResult>;

export interface ServerOptions {
  /** The HTTP(S) server whose port is shared: its 'upgrade' requests become WebSocket connections. */
  server: HttpServer | HttpsServer;
  /** Only these request paths (query ignored) are upgraded; others get 404. Default: every path. */
  path?: string | readonly string[];
  /** Subprotocols the server speaks, in its order of preference. */
  protocols?: readonly string[];
  /** Largest incoming message in bytes (after decompression); larger ones close with 1009. */
  maxPayload?: number;
  /** Largest number of frames in one fragmented message; more closes with 1009. */
  maxFragments?: number;
  /** permessage-deflate: false (default), true for the defaults, or parameters. */
  deflate?: boolean | DeflateOptions;
  /** Origin / auth check, run after the handshake is validated and before it is answered. */
  verify?: VerifyHook;
  /** Protocol ping cadence; a peer that has not answered by the next round is dropped. 0 disables. */
  heartbeatIntervalMs?: number;
  /** Close (1001) peers that sent nothing for this long. 0 disables. */
  idleTimeoutMs?: number;
  /**
   * Outbound budget per connection (bytes queued for the peer, whatever produced them): above the
   * high-water mark the server stops reading from the peer until the queue drains; above the hard
   * limit the connection fails with 1008 "slow consumer". 0 disables either.
   */
  outboundHighWaterMark?: number;
  outboundHardLimit?: number;
  /** Fail (1008 "slow consumer") a peer whose reading stayed paused this long. 0 disables. */
  outboundStallMs?: number;
  /** Fail (1008) a peer that started a frame or message and did not finish it within this time. 0 disables. */
  messageTimeoutMs?: number;
  /** Close (1001, "reconnect") connections older than this. 0 disables. */
  maxLifetimeMs?: number;
  /** Refuse upgrades with 503 beyond this many open connections. 0 = unlimited. */
  maxConnections?: number;
  /** Per-client-address connection cap and handshake rate (429 with Retry-After beyond them). Default: none. */
  perAddress?: AddressLimitOptions;
  /**
   * The client's address for per-address limits and `connection.clientAddress`. Default: the TCP peer.
   * Behind a reverse proxy, the application resolves X-Forwarded-For from trusted proxies here.
   */
  clientAddress?: (request: UpgradeRequest) => string | undefined;
  /** Time allowed to an async verify hook (and, on the fast path, to the first bytes) before the socket is dropped. */
  handshakeTimeoutMs?: number;
  /** Time allowed to a closing handshake before the socket is destroyed. */
  closeTimeoutMs?: number;
  /**
   * Parse WebSocket handshakes with our own bounded head parser instead of Node's HTTP server (default true).
   * Plain HTTP requests still go to Node's HTTP server untouched. See fast-upgrade.ts.
   */
  fastUpgrade?: boolean;
}

export interface ServerEvents {
  connection: [connection: WebSocketConnection, request: UpgradeRequest];
  /** An upgrade refused by a server-wide limit (per-address limits, the connection cap), for logs and metrics. */
  refused: [request: UpgradeRequest, status: number, reason: string];
  error: [error: Error];
}

type AcceptedHandshake = Extract<ServerHandshakeResult, { ok: true }>;

const DEFAULT_HEARTBEAT_MS = 25_000;
/** Resolution of the single maintenance timer that drives heartbeats and idle checks for all clients. */
const SWEEP_RESOLUTION_MS = 1_000;

/**
 * A WebSocket endpoint attached to an existing HTTP(S) server, so one port serves both (the article's
 * point: ws:// shares port 80 and wss:// port 443 with HTTP).
 */
export class WebSocketServer extends EventEmitter<ServerEvents> {
  private readonly server: HttpServer | HttpsServer;
  private readonly paths: ReadonlySet<string> | null;
  private readonly protocols: readonly string[];
  private readonly deflate: DeflateOptions | false;
  private readonly settings: ConnectionSettings;
  private readonly verify: VerifyHook | null;
  private readonly heartbeatIntervalMs: number;
  private readonly idleTimeoutMs: number;
  private readonly stallMs: number;
  private readonly messageTimeoutMs: number;
  private readonly maxLifetimeMs: number;
  private readonly maxConnections: number;
  private readonly addressLimits: AddressLimits | null;
  private readonly clientAddress: (request: UpgradeRequest) => string | undefined;
  readonly handshakeTimeoutMs: number;
  private readonly connections = new Set<WebSocketConnection>();
  private handshakesInFlight = 0;
  private closing = false;
  private sweepTimer: NodeJS.Timeout | null = null;
  private restoreHttpListener: (() => void) | null = null;
  private nextPingAt = 0;
  private readonly upgradeListener = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    this.handleUpgrade(req, socket as Socket, head);
  };

  constructor(options: ServerOptions) {
    super();
    this.server = options.server;
    const path = options.path;
    this.paths = path === undefined ? null : new Set(typeof path === 'string' ? [path] : path);
    this.protocols = options.protocols ?? [];
    this.deflate = options.deflate === true ? {} : options.deflate === undefined ? false : options.deflate;
    this.verify = options.verify ?? null;
    this.heartbeatIntervalMs = options.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_MS;
    this.idleTimeoutMs = options.idleTimeoutMs ?? 0;
    this.maxConnections = options.maxConnections ?? 0;
    this.addressLimits = options.perAddress === undefined ? null : new AddressLimits(options.perAddress);
    this.clientAddress = options.clientAddress ?? peerAddress;
    this.stallMs = options.outboundStallMs ?? 0;
    this.messageTimeoutMs = options.messageTimeoutMs ?? 0;
    this.maxLifetimeMs = options.maxLifetimeMs ?? 0;
    this.handshakeTimeoutMs = options.handshakeTimeoutMs ?? Defaults.handshakeTimeoutMs;
    this.settings = connectionSettings('server', {
      maxPayload: options.maxPayload,
      maxFragments: options.maxFragments,
      closeTimeoutMs: options.closeTimeoutMs,
      deflateLevel: this.deflate === false ? undefined : this.deflate.level,
      deflateThreshold: this.deflate === false ? undefined : this.deflate.threshold,
      highWaterMark: options.outboundHighWaterMark,
      hardLimit: options.outboundHardLimit,
      onClosed: (conn) => {
        this.connections.delete(conn);
        if (conn.clientAddress !== undefined) this.addressLimits?.closed(conn.clientAddress);
      },
    });
    this.server.on('upgrade', this.upgradeListener);
    if (options.fastUpgrade !== false) this.restoreHttpListener = interceptUpgrades(this.server, this);
  }

  /** Whether handshakes bypass Node's HTTP parser (false when other 'connection' listeners are installed). */
  get fastUpgrade(): boolean {
    return this.restoreHttpListener !== null;
  }

  /** Open connections. */
  get clients(): ReadonlySet<WebSocketConnection> {
    return this.connections;
  }

  /** Turns an HTTP upgrade request into a WebSocket connection, or answers it with an HTTP error. */
  handleUpgrade(req: UpgradeRequest, socket: Socket, head: Buffer): void {
    socket.on('error', ignoreSocketError); // a reset during the handshake must not crash the process
    if (this.paths !== null && !this.paths.has(pathOf(req.url))) {
      refuse(socket, 404, 'no WebSocket endpoint at this path');
      return;
    }
    if (this.closing) {
      refuse(socket, 503, 'server shutting down');
      return;
    }
    const address = this.clientAddress(req);
    if (this.addressLimits !== null && address !== undefined) {
      const verdict = this.addressLimits.admit(address, Date.now());
      if (!verdict.ok) {
        this.emit('refused', req, verdict.status, verdict.message);
        refuse(socket, verdict.status, verdict.message, { 'Retry-After': String(verdict.retryAfterSec) });
        return;
      }
    }
    if (this.maxConnections > 0 && this.connections.size + this.handshakesInFlight >= this.maxConnections) {
      this.emit('refused', req, 503, 'too many connections');
      refuse(socket, 503, 'too many connections', { 'Retry-After': '5' });
      return;
    }
    const result = acceptUpgrade(
      { method: req.method ?? '', httpVersion: req.httpVersion, headers: headersFromRaw(req.rawHeaders) },
      { protocols: this.protocols, deflate: this.deflate },
    );
    if (!result.ok) {
      refuse(socket, result.status, result.message, result.headers);
      return;
    }
    const verdict = this.verify === null ? true : this.runVerify(req);
    if (verdict === true) {
      this.complete(req, socket, head, result, address);
      return;
    }
    if (!(verdict instanceof Promise)) {
      refuse(socket, verdict.status, verdict.message ?? 'refused', verdict.headers);
      return;
    }
    this.handshakesInFlight++;
    const timeout = setTimeout(() => socket.destroy(), this.handshakeTimeoutMs);
    verdict.then(
      (answer) => {
        clearTimeout(timeout);
        this.handshakesInFlight--;
        if (socket.destroyed) return;
        if (answer !== true) refuse(socket, answer.status, answer.message ?? 'refused', answer.headers);
        else if (this.closing) refuse(socket, 503, 'server shutting down');
        else this.complete(req, socket, head, result, address);
      },
      (error: unknown) => {
        clearTimeout(timeout);
        this.handshakesInFlight--;
        this.reportError(error);
        if (!socket.destroyed) refuse(socket, 500, 'verification failed');
      },
    );
  }

  /** Stops accepting, closes every client with `code`, resolves once all are closed (stragglers are destroyed). */
  async close(code: number = CloseCode.GoingAway, reason = 'server shutting down'): Promise<void> {
    this.closing = true;
    this.server.removeListener('upgrade', this.upgradeListener);
    this.restoreHttpListener?.();
    this.restoreHttpListener = null;
    this.stopSweep();
    const waits: Promise<void>[] = [];
    for (const conn of this.connections) {
      if (conn.readyState === ReadyState.CLOSED) continue;
      waits.push(new Promise<void>((resolve) => conn.once('close', () => resolve())));
      conn.close(code, reason);
    }
    await Promise.all(waits);
  }

  private runVerify(req: UpgradeRequest): VerifyResult | Promise<VerifyResult> {
    try {
      return this.verify!(req);
    } catch (error) {
      this.reportError(error);
      return { status: 500, message: 'verification failed' };
    }
  }

  private complete(req: UpgradeRequest, socket: Socket, head: Buffer, accepted: AcceptedHandshake, address: string | undefined): void {
    socket.removeListener('error', ignoreSocketError);
    const { protocol, extensions, deflate } = accepted;
    const conn = new WebSocketConnection(socket, { settings: this.settings, url: req.url ?? '/', protocol, extensions, deflate });
    socket.write(accepted.response);
    this.connections.add(conn);
    if (address !== undefined) {
      conn.clientAddress = address;
      this.addressLimits?.opened(address);
    }
    this.ensureSweep();
    this.emit('connection', conn, req);
    conn.start(head);
  }

  private ensureSweep(): void {
    if (this.sweepTimer !== null) return;
    const limits = [this.heartbeatIntervalMs, this.idleTimeoutMs, this.stallMs, this.messageTimeoutMs, this.maxLifetimeMs].filter((ms) => ms > 0);
    // Paused readers need the sweep too: it resumes them if a drain event never comes.
    if (limits.length === 0 && this.settings.highWaterMark === 0) return;
    this.nextPingAt = Date.now() + this.heartbeatIntervalMs;
    const every = Math.min(SWEEP_RESOLUTION_MS, ...limits);
    this.sweepTimer = setInterval(() => this.sweep(), every);
    this.sweepTimer.unref();
  }

  private stopSweep(): void {
    if (this.sweepTimer !== null) clearInterval(this.sweepTimer);
    this.sweepTimer = null;
  }

  /**
   * One pass over all clients: heartbeat pings, dead-peer and idle detection, and the time limits
   * (stalled readers, unfinished messages, maximum lifetime).
   */
  private sweep(): void {
    if (this.connections.size === 0) {
      this.stopSweep();
      return;
    }
    const now = Date.now();
    const pingRound = this.heartbeatIntervalMs > 0 && now >= this.nextPingAt;
    if (pingRound) this.nextPingAt = now + this.heartbeatIntervalMs;
    const { idleTimeoutMs: idleLimit, stallMs, messageTimeoutMs, maxLifetimeMs } = this;
    for (const conn of this.connections) {
      if (conn.readyState !== ReadyState.OPEN) continue;
      if (conn.readPausedAt !== 0) {
        conn.maybeResumeReading();
        if (stallMs > 0 && conn.readPausedAt !== 0 && now - conn.readPausedAt >= stallMs) {
          conn.fail(CloseCode.PolicyViolation, CloseReason.SlowConsumer);
          continue;
        }
      } else if (messageTimeoutMs > 0 && conn.messageStartedAt !== 0 && now - conn.messageStartedAt >= messageTimeoutMs) {
        // Only while we are reading: a message we stopped reading is not the peer's delay.
        conn.fail(CloseCode.PolicyViolation, CloseReason.MessageTimeout);
        continue;
      }
      if (maxLifetimeMs > 0 && now - conn.openedAt >= maxLifetimeMs) {
        conn.close(CloseCode.GoingAway, CloseReason.MaxLifetime);
        continue;
      }
      if (idleLimit > 0 && now - conn.lastSeenAt >= idleLimit) {
        conn.close(CloseCode.GoingAway, CloseReason.IdleTimeout);
        continue;
      }
      if (!pingRound) continue;
      if (conn.awaitingPong) {
        conn.terminate(); // no pong (nor any byte) since the last round: the peer is gone
        continue;
      }
      conn.awaitingPong = true;
      conn.ping();
    }
  }

  private reportError(error: unknown): void {
    const err = error instanceof Error ? error : new Error(String(error));
    if (this.listenerCount('error') > 0) this.emit('error', err);
  }
}

function pathOf(url: string | undefined): string {
  if (url === undefined) return '/';
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

function refuse(socket: Socket, status: number, message: string, headers?: Record<string, string>): void {
  if (socket.destroyed) return;
  socket.end(formatHttpResponse(status, message, headers));
  socket.once('finish', () => socket.destroy());
}

function ignoreSocketError(): void {}

function peerAddress(request: UpgradeRequest): string | undefined {
  return request.socket.remoteAddress;
}
