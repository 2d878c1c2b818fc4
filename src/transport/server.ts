import { EventEmitter } from 'node:events';
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { CloseCode, Defaults } from '../protocol/constants.js';
import { acceptUpgrade, formatHttpResponse, headersFromRaw, type ServerHandshakeResult } from '../protocol/handshake-server.js';
import type { DeflateOptions } from '../protocol/permessage-deflate.js';
import { connectionSettings, WebSocketConnection, type ConnectionSettings } from './connection.js';
import { ReadyState } from './ready-state.js';
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
  /** Refuse upgrades with 503 beyond this many open connections. 0 = unlimited. */
  maxConnections?: number;
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
  private readonly maxConnections: number;
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
    this.handshakeTimeoutMs = options.handshakeTimeoutMs ?? Defaults.handshakeTimeoutMs;
    this.settings = connectionSettings('server', {
      maxPayload: options.maxPayload,
      maxFragments: options.maxFragments,
      closeTimeoutMs: options.closeTimeoutMs,
      deflateLevel: this.deflate === false ? undefined : this.deflate.level,
      deflateThreshold: this.deflate === false ? undefined : this.deflate.threshold,
      onClosed: (conn) => this.connections.delete(conn),
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
    if (this.maxConnections > 0 && this.connections.size + this.handshakesInFlight >= this.maxConnections) {
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
      this.complete(req, socket, head, result);
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
        else this.complete(req, socket, head, result);
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

  private complete(req: UpgradeRequest, socket: Socket, head: Buffer, accepted: AcceptedHandshake): void {
    socket.removeListener('error', ignoreSocketError);
    const { protocol, extensions, deflate } = accepted;
    const conn = new WebSocketConnection(socket, { settings: this.settings, url: req.url ?? '/', protocol, extensions, deflate });
    socket.write(accepted.response);
    this.connections.add(conn);
    this.ensureSweep();
    this.emit('connection', conn, req);
    conn.start(head);
  }

  private ensureSweep(): void {
    if (this.sweepTimer !== null || (this.heartbeatIntervalMs <= 0 && this.idleTimeoutMs <= 0)) return;
    this.nextPingAt = Date.now() + this.heartbeatIntervalMs;
    const every = Math.min(SWEEP_RESOLUTION_MS, this.heartbeatIntervalMs || SWEEP_RESOLUTION_MS, this.idleTimeoutMs || SWEEP_RESOLUTION_MS);
    this.sweepTimer = setInterval(() => this.sweep(), every);
    this.sweepTimer.unref();
  }

  private stopSweep(): void {
    if (this.sweepTimer !== null) clearInterval(this.sweepTimer);
    this.sweepTimer = null;
  }

  /** One pass over all clients: heartbeat pings, dead-peer and idle detection. */
  private sweep(): void {
    if (this.connections.size === 0) {
      this.stopSweep();
      return;
    }
    const now = Date.now();
    const pingRound = this.heartbeatIntervalMs > 0 && now >= this.nextPingAt;
    if (pingRound) this.nextPingAt = now + this.heartbeatIntervalMs;
    const idleLimit = this.idleTimeoutMs;
    for (const conn of this.connections) {
      if (conn.readyState !== ReadyState.OPEN) continue;
      if (idleLimit > 0 && now - conn.lastSeenAt >= idleLimit) {
        conn.close(CloseCode.GoingAway, 'idle timeout');
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
