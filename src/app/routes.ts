/**
 * The HTTP side of the shared port: REST snapshot, health, metrics and the web pages.
 * The WebSocket side is handled by the transport on the server's 'upgrade' event, so these
 * handlers only ever see plain HTTP requests.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SourceHealth, StreamQuote } from '../broker/stream.js';
import type { FeedStatus, SymbolInfo } from '../market/index.js';
import type { ServerMetrics } from './metrics.js';
import { fallbackIndexPage } from './fallback-page.js';
import type { StaticFiles } from './static-files.js';
import { barsRoute, marketsRoute, ticksRoute, type HistoryView } from './history-routes.js';
import { calendarForExchange } from '../market/sessions/index.js';
import { sendBody, sendJson } from './http-reply.js';
import { readQuoteAccess, type QuoteAccess } from './quote-access.js';

export { sendJson } from './http-reply.js';
export type { QuoteAccess } from './quote-access.js';

/** The part of the hub the routes read (kept narrow so the routes are easy to reason about). */
export interface HubView {
  /** The hub's quote cache: the same universe and values WebSocket clients are served. */
  readonly cache: {
    readonly epoch: string;
    readonly offset: number;
    readonly status: FeedStatus;
    universe(): SymbolInfo[];
    resolve(raw: string): string | undefined;
  };
  snapshot(symbols?: readonly string[]): StreamQuote[];
  stats(): { clients: number; subscriptions: number; slowClients: number };
  readonly sourceHealth: SourceHealth;
}

/** Figures of the whole server when it is one of several cluster workers (see cluster-primary.ts). */
export interface ClusterView {
  /** Every worker's figures as last reported to the primary. */
  workers(): Promise<readonly WorkerHealth[]>;
  /** Prometheus text aggregated over every worker. */
  metrics(): Promise<string>;
}

export interface WorkerHealth {
  worker: number;
  pid: number;
  clients: number;
  subscriptions: number;
  slowClients: number;
  ready: boolean;
}

export interface RouteContext {
  readonly hub: HubView;
  readonly metrics: ServerMetrics;
  readonly staticFiles: StaticFiles;
  readonly version: string;
  readonly sourceName: string;
  /** This process's cluster worker id (undefined outside a cluster). */
  readonly instance: number | undefined;
  readonly cluster?: ClusterView;
  readonly startedAt: number;
  /** Called for failures inside a handler (logged by the server). */
  readonly onError: (err: unknown, req: IncomingMessage) => void;
  /** With token authentication: who may read which quotes. Absent: quotes are public. */
  readonly quoteAccess?: QuoteAccess;
  /** Bars and recent ticks (the hub's). */
  readonly history: HistoryView;
  /** The market trades around the clock (the demo simulator): /api/markets reports every market open. */
  readonly alwaysOpen: boolean;
}

type Handler = (ctx: RouteContext, req: IncomingMessage, res: ServerResponse, url: URL) => void | Promise<void>;

const API_ROUTES: ReadonlyMap<string, Handler> = new Map<string, Handler>([
  ['/api/symbols', symbolsRoute],
  ['/api/quotes', quotesRoute],
  ['/api/bars', barsRoute],
  ['/api/ticks', ticksRoute],
  ['/api/markets', marketsRoute],
  ['/healthz', healthRoute],
  ['/readyz', readyRoute],
  ['/metrics', metricsRoute],
]);

const READ_METHODS = 'GET, HEAD';

export function createRequestHandler(ctx: RouteContext): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    res.on('finish', () => ctx.metrics.httpRequest(res.statusCode));
    handle(ctx, req, res).catch((err: unknown) => {
      ctx.onError(err, req);
      if (!res.headersSent) sendJson(res, 500, { error: 'internal_error', message: 'internal server error' });
      else res.destroy();
    });
  };
}

async function handle(ctx: RouteContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  // The host is irrelevant for routing; a fixed base keeps malformed Host headers harmless.
  let url: URL;
  try {
    url = new URL(req.url ?? '/', 'http://localhost');
  } catch {
    sendJson(res, 400, { error: 'bad_request', message: 'malformed request target' });
    return;
  }
  const isRead = req.method === 'GET' || req.method === 'HEAD';
  const api = API_ROUTES.get(url.pathname);
  if (api) {
    if (!isRead) return methodNotAllowed(res);
    await api(ctx, req, res, url);
    return;
  }
  const file = await ctx.staticFiles.lookup(url.pathname);
  if (file) {
    if (!isRead) return methodNotAllowed(res);
    await ctx.staticFiles.send(req, res, file);
    return;
  }
  if (url.pathname === '/') {
    if (!isRead) return methodNotAllowed(res);
    sendBody(req, res, 200, 'text/html; charset=utf-8', fallbackIndexPage(ctx.version));
    return;
  }
  sendJson(res, 404, { error: 'not_found', message: `no route for ${url.pathname}` });
}

function symbolsRoute(ctx: RouteContext, req: IncomingMessage, res: ServerResponse): void {
  const list = ctx.hub.cache.universe().map(({ symbol, name, exchange, currency, prevClose }) => {
    // The exchange calendar the symbol trades on (GET /api/markets has its state); none for other venues.
    const market = calendarForExchange(exchange)?.id;
    return { symbol, name, exchange, currency, prevClose, ...(market !== undefined ? { market } : {}) };
  });
  sendJson(res, 200, list, req);
}

async function quotesRoute(ctx: RouteContext, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const access = await readQuoteAccess(ctx, req, res, url);
  if (access === null) return;
  const param = url.searchParams.get('symbols');
  if (param === null || param.trim() === '*') {
    const quotes = ctx.hub.snapshot();
    sendJson(res, 200, { quotes: access === undefined ? quotes : quotes.filter((q) => access.allows(q.symbol)) }, req);
    return;
  }
  const wanted = [...new Set(param.split(',').map((s) => s.trim()).filter((s) => s !== ''))];
  // The hub's own lookup: case-insensitive ('aapl' finds AAPL), exactly as in WebSocket subscriptions.
  const unknown = wanted.filter((s) => ctx.hub.cache.resolve(s) === undefined);
  if (unknown.length > 0) {
    sendJson(res, 404, { error: 'unknown_symbol', message: `unknown symbols: ${unknown.join(', ')}`, symbols: unknown }, req);
    return;
  }
  const forbidden = access === undefined ? [] : wanted.filter((s) => !access.allows(ctx.hub.cache.resolve(s)!));
  if (forbidden.length > 0) {
    sendJson(res, 403, { error: 'forbidden_symbol', message: `not entitled to: ${forbidden.join(', ')}`, symbols: forbidden }, req);
    return;
  }
  sendJson(res, 200, { quotes: wanted.length === 0 ? [] : ctx.hub.snapshot(wanted) }, req);
}

/**
 * 200 while this process can serve the stream, 503 with the reason when it cannot (an edge that lost
 * its broker, a worker that has no stream yet). The feed's own health is reported, not judged: a
 * stale feed is still served (clients are told), so it does not fail the check.
 */
async function healthRoute(ctx: RouteContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const stats = ctx.hub.stats();
  const health = ctx.hub.sourceHealth;
  const cache = ctx.hub.cache;
  const body: Record<string, unknown> = {
    status: health.ready ? 'ok' : 'unavailable',
    ...(health.reason !== undefined ? { reason: health.reason } : {}),
    server: 'tickstream',
    version: ctx.version,
    uptime: Math.round((Date.now() - ctx.startedAt) / 1000),
    source: ctx.sourceName,
    ...(health.details !== undefined ? { sourceDetails: health.details } : {}),
    epoch: cache.epoch,
    offset: cache.offset,
    feed: cache.status,
    symbols: cache.universe().length,
    clients: stats.clients,
    subscriptions: stats.subscriptions,
    slowClients: stats.slowClients,
  };
  if (ctx.instance !== undefined) body.worker = ctx.instance;
  if (ctx.cluster !== undefined) {
    const workers = await ctx.cluster.workers();
    body.workers = workers;
    body.total = {
      clients: workers.reduce((n, w) => n + w.clients, 0),
      subscriptions: workers.reduce((n, w) => n + w.subscriptions, 0),
      slowClients: workers.reduce((n, w) => n + w.slowClients, 0),
    };
  }
  sendJson(res, health.ready ? 200 : 503, body, req);
}

/** Readiness for a load balancer: may this process get new clients now? */
function readyRoute(ctx: RouteContext, req: IncomingMessage, res: ServerResponse): void {
  sendReadiness(res, ctx.hub.sourceHealth, req);
}

/** The /readyz answer for a process's stream health (the server's and the ingest's). */
export function sendReadiness(res: ServerResponse, health: SourceHealth, req?: IncomingMessage): void {
  if (health.ready) sendJson(res, 200, { ready: true }, req);
  else sendJson(res, 503, { ready: false, reason: health.reason ?? 'not ready' }, req);
}

async function metricsRoute(ctx: RouteContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const text = ctx.cluster !== undefined ? await ctx.cluster.metrics() : await ctx.metrics.render();
  sendBody(req, res, 200, ctx.metrics.contentType, text);
}

function methodNotAllowed(res: ServerResponse): void {
  res.setHeader('Allow', READ_METHODS);
  sendJson(res, 405, { error: 'method_not_allowed', message: `use ${READ_METHODS}` });
}
