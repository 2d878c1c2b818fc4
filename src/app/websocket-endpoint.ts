/**
 * The WebSocket side of the port: the transport's limits (per-address, outbound budget, time
 * limits), admission (client-admission.ts), the per-user cap, and handing each accepted connection
 * to the hub with its identity.
 */
import type { Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Logger } from 'pino';
import { HUB_DEFAULTS, parseConnectParams, redactUrl, type QuoteHub } from '../hub/index.js';
import { BINARY_SUBPROTOCOL } from '../wire/index.js';
import { CloseCode } from '../protocol/constants.js';
import { WebSocketServer, type AddressLimitOptions, type UpgradeRequest, type WebSocketConnection } from '../transport/index.js';
import { requestUrl, watchLimitCloses, type ClientAdmission } from './client-admission.js';
import { sessionAuthOf, type JwtGate } from './jwt-gate.js';
import type { ServerMetrics } from './metrics.js';
import type { TickstreamServerOptions } from './server.js';

const WEBSOCKET_PATHS = ['/', '/ws'];
/** Below the CLI's 5 s shutdown deadline, so a client that never answers our close is cut off in time. */
const CLOSE_TIMEOUT_MS = 3_000;
export const USER_LIMIT_REASON = 'too many connections for this user';

/** Generous defaults: a NAT of hundreds of users stays under them, one abusive host does not. */
export const LIMIT_DEFAULTS = {
  maxConnectionsPerIp: 1000,
  handshakeRatePerSec: 200,
  handshakeBurst: 1000,
  messageTimeoutMs: 30_000,
} as const;

/** The per-address limits from the options, the same for WebSocket upgrades and SSE streams. */
export function addressLimitOptions(options: TickstreamServerOptions): AddressLimitOptions {
  return {
    maxConnections: options.maxConnectionsPerIp ?? LIMIT_DEFAULTS.maxConnectionsPerIp,
    handshakeRatePerSec: options.handshakeRatePerSec ?? LIMIT_DEFAULTS.handshakeRatePerSec,
    handshakeBurst: options.handshakeBurst ?? LIMIT_DEFAULTS.handshakeBurst,
  };
}

export interface WebSocketEndpointContext {
  server: HttpServer | HttpsServer;
  hub: QuoteHub;
  metrics: ServerMetrics;
  logger: Logger;
  options: TickstreamServerOptions;
  gate: JwtGate | undefined;
  admission: ClientAdmission;
  handshakeTimeoutMs: number;
}

export function createWebSocketEndpoint(ctx: WebSocketEndpointContext): WebSocketServer {
  const { server, hub, metrics, logger, options, gate } = ctx;
  const admission = ctx.admission;
  const { verify, clientAddressOf, refused, connectDefaults } = admission;

  const wss = new WebSocketServer({
    server,
    path: WEBSOCKET_PATHS,
    // Offered by clients that want the compact binary encoding (docs/wire-binary.md); JSON otherwise.
    protocols: [BINARY_SUBPROTOCOL],
    verify,
    closeTimeoutMs: CLOSE_TIMEOUT_MS,
    handshakeTimeoutMs: ctx.handshakeTimeoutMs,
    clientAddress: clientAddressOf,
    perAddress: addressLimitOptions(options),
    // One outbound budget per connection, the same limits the hub's slow-consumer policy uses.
    outboundHighWaterMark: options.highWaterMarkBytes ?? HUB_DEFAULTS.highWaterMarkBytes,
    outboundHardLimit: options.hardLimitBytes ?? HUB_DEFAULTS.hardLimitBytes,
    outboundStallMs: options.slowCloseAfterMs ?? HUB_DEFAULTS.slowCloseAfterMs,
    messageTimeoutMs: options.messageTimeoutMs ?? LIMIT_DEFAULTS.messageTimeoutMs,
    ...defined({
      maxPayload: options.maxPayload,
      deflate: options.deflate,
      heartbeatIntervalMs: options.pingIntervalMs,
      maxConnections: options.maxConnections,
      idleTimeoutMs: options.idleTimeoutMs,
      maxLifetimeMs: options.maxLifetimeMs,
    }),
  });
  wss.on('error', (err) => logger.error({ err }, 'websocket server error'));
  wss.on('refused', (req, status, reason) => refused(req, { status, message: reason }));
  wss.on('connection', (conn: WebSocketConnection, req: UpgradeRequest) => {
    // verify already accepted these parameters, so parsing again cannot fail.
    const params = parseConnectParams(requestUrl(req), connectDefaults);
    if ('error' in params) {
      conn.close(CloseCode.PolicyViolation, params.error);
      return;
    }
    const remote = conn.clientAddress;
    const principal = admission.principalOf(req);
    const sub = principal?.sub;
    if (principal !== undefined && gate !== undefined) {
      // Checked in verify too; acquiring here is what counts (two handshakes may have raced).
      if (!gate.users.acquire(principal.sub)) {
        conn.close(CloseCode.PolicyViolation, USER_LIMIT_REASON);
        return;
      }
      conn.on('close', () => gate.users.release(principal.sub));
    }
    logger.debug({ remote, sub, url: redactUrl(conn.url), extensions: conn.extensions }, 'connection open');
    // Counted when the server decides, not when the socket finally goes (up to the close timeout later).
    watchLimitCloses(conn, metrics, (code, reason) => logger.debug({ remote, sub, code, reason }, 'closing connection'));
    conn.on('close', (code: number, reason: string) => logger.debug({ remote, sub, code, reason }, 'connection closed'));
    const binary = conn.protocol === BINARY_SUBPROTOCOL;
    hub.attach(conn, { ...params, binary, ...(principal === undefined ? {} : { auth: sessionAuthOf(principal) }) });
  });
  return wss;
}

/** Drops undefined values so the callee's own defaults apply. */
export function defined<T extends object>(values: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], undefined>;
  };
}
