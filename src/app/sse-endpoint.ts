/**
 * The SSE fallback on the same port, for networks where WebSocket is blocked (the article names
 * browser and proxy compatibility as WebSocket's weakness):
 *
 *   GET  /sse?symbols=...&interval=...[&since=EPOCH:OFFSET]   → text/event-stream of the very same
 *        messages; first a `session` event naming the session id; `Last-Event-ID` (sent by the
 *        browser's EventSource when it reconnects) works like `since`.
 *   POST /sse/commands?session=ID                              → one JSON command, as on WebSocket;
 *        answered 202, the replies come on the stream.
 *
 * Admission (origin, tokens, parameters) is the WebSocket endpoint's; per-address limits apply the
 * same way; the rate limit, entitlements, slow-consumer policy and recovery are the hub's.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { HUB_DEFAULTS, parseConnectParams, parseSince, type QuoteHub } from '../hub/index.js';
import { CloseCode } from '../protocol/constants.js';
import { AddressLimits, type UpgradeRequest, type VerifyResult } from '../transport/index.js';
import { watchLimitCloses, type ClientAdmission } from './client-admission.js';
import { sessionAuthOf, type JwtGate } from './jwt-gate.js';
import type { ServerMetrics } from './metrics.js';
import type { TickstreamServerOptions } from './server.js';
import { SseConnection } from './sse-connection.js';
import { addressLimitOptions, USER_LIMIT_REASON } from './websocket-endpoint.js';

export const SSE_PATH = '/sse';
export const SSE_COMMANDS_PATH = '/sse/commands';
/** A command is small; a body beyond this is refused without being read further. */
const MAX_COMMAND_BYTES = 64 * 1024;

export interface SseEndpoint {
  /** Handles /sse and /sse/commands; false for any other path (the caller routes it). */
  handle(req: IncomingMessage, res: ServerResponse, url: URL): boolean;
  /** Ends every stream with a `close` event (server shutdown). */
  close(code: number, reason: string): void;
  readonly sessions: number;
}

export interface SseEndpointContext {
  hub: QuoteHub;
  /** JWT authentication, for the per-user connection cap (admission has verified the token already). */
  gate: JwtGate | undefined;
  metrics: ServerMetrics;
  logger: Logger;
  options: TickstreamServerOptions;
  admission: ClientAdmission;
}

export function createSseEndpoint(ctx: SseEndpointContext): SseEndpoint {
  const { hub, logger, options, admission, metrics, gate } = ctx;
  const sessions = new Map<string, SseConnection>();
  const limits = new AddressLimits(addressLimitOptions(options));
  const hardLimit = options.hardLimitBytes ?? HUB_DEFAULTS.hardLimitBytes;
  let closing = false;

  const refuse = (res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void => {
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
    res.end(message);
  };

  const open = (req: IncomingMessage, res: ServerResponse, url: URL): void => {
    if (closing) return refuse(res, 503, 'server shutting down', { 'retry-after': '5' });
    const request = req as UpgradeRequest; // an IncomingMessage is what an upgrade request is modelled on
    const address = admission.clientAddressOf(request);
    if (address !== undefined) {
      const verdict = limits.admit(address, Date.now());
      if (!verdict.ok) {
        admission.refused(request, { status: verdict.status, message: verdict.message });
        return refuse(res, verdict.status, verdict.message, { 'retry-after': String(verdict.retryAfterSec) });
      }
    }
    // EventSource reconnects with Last-Event-ID: the id of the last event it processed.
    const lastEventId = req.headers['last-event-id'];
    if (typeof lastEventId === 'string' && lastEventId !== '' && parseSince(lastEventId) !== null) url.searchParams.set('since', lastEventId);
    const verdict = admission.verify(request);
    const proceed = (answer: VerifyResult): void => {
      if (answer !== true) return refuse(res, answer.status, answer.message ?? 'refused', answer.headers);
      if (res.destroyed) return;
      start(request, res, url, address);
    };
    if (verdict instanceof Promise) {
      verdict.then(proceed, (error: unknown) => {
        logger.error({ err: error }, 'SSE admission failed');
        refuse(res, 500, 'verification failed');
      });
    } else {
      proceed(verdict);
    }
  };

  const start = (req: UpgradeRequest, res: ServerResponse, url: URL, address: string | undefined): void => {
    const params = parseConnectParams(url, admission.connectDefaults);
    if ('error' in params) return refuse(res, 400, params.error);
    const principal = admission.principalOf(req);
    // The per-user cap counts SSE streams and WebSocket connections alike.
    if (principal !== undefined && gate !== undefined && !gate.users.acquire(principal.sub)) {
      return refuse(res, 429, USER_LIMIT_REASON, { 'retry-after': '5' });
    }
    const session = randomBytes(16).toString('base64url');
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      'x-accel-buffering': 'no', // nginx: do not buffer the stream
    });
    req.socket.setNoDelay(true);
    // A quiet stream is normal (heartbeats keep it alive); Node must not time it out.
    req.socket.setTimeout(0);
    res.write(`retry: 1000\nevent: session\ndata: ${JSON.stringify({ session, commands: `${SSE_COMMANDS_PATH}?session=${session}` })}\n\n`);
    const conn = new SseConnection(res, { url: req.url ?? SSE_PATH, session, epoch: () => hub.cache.epoch, hardLimit });
    sessions.set(session, conn);
    if (address !== undefined) limits.opened(address);
    watchLimitCloses(conn, metrics, (code, reason) => logger.debug({ remote: address, code, reason }, 'closing SSE stream'));
    conn.on('close', () => {
      sessions.delete(session);
      if (principal !== undefined) gate?.users.release(principal.sub);
      if (address !== undefined) limits.closed(address);
      logger.debug({ remote: address }, 'SSE stream closed');
    });
    logger.debug({ remote: address, sub: principal?.sub }, 'SSE stream open');
    hub.attach(conn, principal === undefined ? params : { ...params, auth: sessionAuthOf(principal) });
  };

  const command = (req: IncomingMessage, res: ServerResponse, url: URL): void => {
    const conn = sessions.get(url.searchParams.get('session') ?? '');
    if (conn === undefined) return refuse(res, 404, 'no such SSE session (it ended, or the id is wrong)');
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (declared > MAX_COMMAND_BYTES) return refuse(res, 413, `a command is at most ${MAX_COMMAND_BYTES} bytes`);
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_COMMAND_BYTES) {
        refuse(res, 413, `a command is at most ${MAX_COMMAND_BYTES} bytes`);
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (res.headersSent) return;
      conn.receive(Buffer.concat(chunks));
      res.writeHead(202, { 'content-type': 'application/json' });
      res.end('{"accepted":true}');
    });
  };

  return {
    handle(req, res, url) {
      if (url.pathname === SSE_PATH) {
        if (req.method !== 'GET') refuse(res, 405, 'use GET', { allow: 'GET' });
        else open(req, res, url);
        return true;
      }
      if (url.pathname === SSE_COMMANDS_PATH) {
        if (req.method !== 'POST') refuse(res, 405, 'use POST', { allow: 'POST' });
        else command(req, res, url);
        return true;
      }
      return false;
    },
    close(code = CloseCode.GoingAway, reason = 'server shutting down') {
      closing = true;
      for (const conn of sessions.values()) conn.close(code, reason);
    },
    get sessions() {
      return sessions.size;
    },
  };
}
