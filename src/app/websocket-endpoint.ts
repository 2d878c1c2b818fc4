/**
 * The WebSocket side of the port: who may upgrade (origin, static token or JWT, connect parameters,
 * per-address and per-user limits), the transport's limits (outbound budget, time limits), and
 * handing each accepted connection to the hub with its identity. Refusals and limit closes are
 * logged and counted here, so operators see why a client was turned away.
 */
import type { Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Logger } from 'pino';
import type { Principal } from '../auth/index.js';
import { HUB_DEFAULTS, RATE_LIMIT_REASON, TOKEN_EXPIRED_REASON, parseConnectParams, redactUrl, type QuoteHub } from '../hub/index.js';
import { CloseCode, CloseReason } from '../protocol/constants.js';
import { WebSocketServer, type UpgradeRequest, type VerifyResult, type WebSocketConnection } from '../transport/index.js';
import { TrustedProxies } from './client-address.js';
import { sessionAuthOf, type GateRefusal, type JwtGate } from './jwt-gate.js';
import type { LimitCloseReason, ServerMetrics } from './metrics.js';
import type { TickstreamServerOptions } from './server.js';
import { UpgradePolicy, type Refusal } from './upgrade-policy.js';

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

export interface WebSocketEndpointContext {
  server: HttpServer | HttpsServer;
  hub: QuoteHub;
  metrics: ServerMetrics;
  logger: Logger;
  options: TickstreamServerOptions;
  gate: JwtGate | undefined;
  defaultIntervalMs: number;
  handshakeTimeoutMs: number;
}

export function createWebSocketEndpoint(ctx: WebSocketEndpointContext): WebSocketServer {
  const { server, hub, metrics, logger, options, gate } = ctx;
  const trustedProxies = new TrustedProxies(options.trustedProxies ?? []);
  const clientAddressOf = (req: UpgradeRequest): string | undefined =>
    trustedProxies.clientAddress(req.socket.remoteAddress, req.headers['x-forwarded-for']);
  const policy = new UpgradePolicy({ authToken: options.authToken, allowedOrigins: options.allowedOrigins, tls: options.tls !== undefined });
  const connectDefaults = { intervalMs: ctx.defaultIntervalMs };
  // The identity a JWT upgrade proved, from verify to the 'connection' event of the same request.
  const principals = new WeakMap<UpgradeRequest, Principal>();

  const refused = (req: UpgradeRequest, refusal: Refusal | GateRefusal): VerifyResult => {
    // Said in the log: a refused browser only shows a closed socket. The URL is scrubbed of credentials.
    metrics.upgradeRefused(refusal.status);
    logger.info({ remote: clientAddressOf(req), status: refusal.status, reason: refusal.message, url: redactUrl(req.url ?? '') }, 'upgrade refused');
    return { status: refusal.status, message: refusal.message, ...(refusal.headers !== undefined ? { headers: refusal.headers } : {}) };
  };

  const verify = (req: UpgradeRequest): VerifyResult | Promise<VerifyResult> => {
    const url = upgradeUrl(req);
    const refusal = policy.check(req, url);
    if (refusal) return refused(req, refusal);
    const params = parseConnectParams(url, connectDefaults);
    if ('error' in params) return { status: 400, message: params.error };
    if (gate === undefined) return true;
    return gate.admit(req.headers, url, true).then((verdict) => {
      if (!verdict.ok) return refused(req, verdict);
      principals.set(req, verdict.principal);
      return true;
    });
  };

  const wss = new WebSocketServer({
    server,
    path: WEBSOCKET_PATHS,
    verify,
    closeTimeoutMs: CLOSE_TIMEOUT_MS,
    handshakeTimeoutMs: ctx.handshakeTimeoutMs,
    clientAddress: clientAddressOf,
    perAddress: {
      maxConnections: options.maxConnectionsPerIp ?? LIMIT_DEFAULTS.maxConnectionsPerIp,
      handshakeRatePerSec: options.handshakeRatePerSec ?? LIMIT_DEFAULTS.handshakeRatePerSec,
      handshakeBurst: options.handshakeBurst ?? LIMIT_DEFAULTS.handshakeBurst,
    },
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
    const params = parseConnectParams(upgradeUrl(req), connectDefaults);
    if ('error' in params) {
      conn.close(CloseCode.PolicyViolation, params.error);
      return;
    }
    const remote = conn.clientAddress;
    const principal = principals.get(req);
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
    conn.on('closing', (code: number, reason: string) => {
      // Counted when the server decides, not when the socket finally goes (up to the close timeout later).
      const limit = limitCloseReason(reason);
      if (limit !== undefined) metrics.limitClose(limit);
      logger.debug({ remote, sub, code, reason }, 'closing connection');
    });
    conn.on('close', (code: number, reason: string) => logger.debug({ remote, sub, code, reason }, 'connection closed'));
    hub.attach(conn, principal === undefined ? params : { ...params, auth: sessionAuthOf(principal) });
  });
  return wss;
}

/** Which server limit a close reason we sent stands for, if any. */
function limitCloseReason(sent: string): LimitCloseReason | undefined {
  switch (sent) {
    case CloseReason.SlowConsumer:
      return 'slow_consumer';
    case RATE_LIMIT_REASON:
      return 'rate_limited';
    case CloseReason.MessageTimeout:
      return 'message_timeout';
    case CloseReason.MaxLifetime:
      return 'max_lifetime';
    case CloseReason.IdleTimeout:
      return 'idle_timeout';
    case TOKEN_EXPIRED_REASON:
      return 'token_expired';
    default:
      return undefined;
  }
}

function upgradeUrl(req: UpgradeRequest): URL {
  try {
    return new URL(req.url ?? '/', 'http://localhost');
  } catch {
    return new URL('http://localhost/');
  }
}

/** Drops undefined values so the callee's own defaults apply. */
export function defined<T extends object>(values: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], undefined>;
  };
}
