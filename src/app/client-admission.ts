/**
 * Who may connect, for WebSocket upgrades and SSE streams alike: origin, static token or JWT, the
 * connect parameters. Refusals are logged with their reason (a refused browser only sees a failed
 * connection) and counted; closes for a limit are counted by reason.
 */
import type { Logger } from 'pino';
import type { Principal } from '../auth/index.js';
import { RATE_LIMIT_REASON, parseConnectParams, redactUrl } from '../hub/index.js';
import { TOKEN_EXPIRED_REASON } from '../wire/index.js';
import { CloseReason } from '../protocol/constants.js';
import type { UpgradeRequest, VerifyResult } from '../transport/index.js';
import { TrustedProxies } from './client-address.js';
import type { GateRefusal, JwtGate } from './jwt-gate.js';
import type { LimitCloseReason, ServerMetrics } from './metrics.js';
import type { TickstreamServerOptions } from './server.js';
import { UpgradePolicy, type Refusal } from './upgrade-policy.js';

export interface AdmissionContext {
  metrics: ServerMetrics;
  logger: Logger;
  options: TickstreamServerOptions;
  gate: JwtGate | undefined;
  defaultIntervalMs: number;
}

/** The admission checks, shared by the WebSocket endpoint and the SSE endpoint. */
export interface ClientAdmission {
  verify(req: UpgradeRequest): VerifyResult | Promise<VerifyResult>;
  /** The identity a JWT request proved (set by verify). */
  principalOf(req: UpgradeRequest): Principal | undefined;
  clientAddressOf(req: UpgradeRequest): string | undefined;
  /** Logs and counts a refusal, and returns it as the verify answer. */
  refused(req: UpgradeRequest, refusal: Refusal | GateRefusal): VerifyResult;
  readonly connectDefaults: { intervalMs: number };
}

export function createClientAdmission(ctx: AdmissionContext): ClientAdmission {
  const { metrics, logger, options, gate } = ctx;
  const trustedProxies = new TrustedProxies(options.trustedProxies ?? []);
  const clientAddressOf = (req: UpgradeRequest): string | undefined =>
    trustedProxies.clientAddress(req.socket.remoteAddress, req.headers['x-forwarded-for']);
  const policy = new UpgradePolicy({ authToken: options.authToken, allowedOrigins: options.allowedOrigins, tls: options.tls !== undefined });
  const connectDefaults = { intervalMs: ctx.defaultIntervalMs };
  // The identity a JWT request proved, from verify to the connection of the same request.
  const principals = new WeakMap<UpgradeRequest, Principal>();

  const refused = (req: UpgradeRequest, refusal: Refusal | GateRefusal): VerifyResult => {
    metrics.upgradeRefused(refusal.status);
    logger.info({ remote: clientAddressOf(req), status: refusal.status, reason: refusal.message, url: redactUrl(req.url ?? '') }, 'upgrade refused');
    return { status: refusal.status, message: refusal.message, ...(refusal.headers !== undefined ? { headers: refusal.headers } : {}) };
  };

  const verify = (req: UpgradeRequest): VerifyResult | Promise<VerifyResult> => {
    const url = requestUrl(req);
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
  return { verify, principalOf: (req) => principals.get(req), clientAddressOf, refused, connectDefaults };
}

/** Counts limit closes (by the reason the server sent) and logs the closing, for any channel. */
export function watchLimitCloses(conn: { on(event: 'closing', listener: (code: number, reason: string) => void): unknown }, metrics: ServerMetrics, log: (code: number, reason: string) => void): void {
  conn.on('closing', (code, reason) => {
    const limit = limitCloseReason(reason);
    if (limit !== undefined) metrics.limitClose(limit);
    log(code, reason);
  });
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

/** The request's path and query as a URL (a fixed base: the Host header plays no part in routing). */
export function requestUrl(req: { url?: string | undefined }): URL {
  try {
    return new URL(req.url ?? '/', 'http://localhost');
  } catch {
    return new URL('http://localhost/');
  }
}

