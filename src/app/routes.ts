/**
 * The HTTP side of the shared port: REST snapshot, health, metrics and the web pages.
 * The WebSocket side is handled by the transport on the server's 'upgrade' event, so these
 * handlers only ever see plain HTTP requests.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Quote, SymbolInfo } from '../market/index.js';
import type { ServerMetrics } from './metrics.js';
import { fallbackIndexPage } from './fallback-page.js';
import type { StaticFiles } from './static-files.js';

/** The part of the hub the routes read (kept narrow so the routes are easy to reason about). */
export interface HubView {
  universe(): readonly SymbolInfo[];
  snapshot(symbols?: readonly string[]): Quote[];
  stats(): { clients: number; subscriptions: number; slowClients: number };
}

export interface RouteContext {
  readonly hub: HubView;
  readonly metrics: ServerMetrics;
  readonly staticFiles: StaticFiles;
  readonly version: string;
  readonly feedName: string;
  readonly startedAt: number;
  /** Called for failures inside a handler (logged by the server). */
  readonly onError: (err: unknown, req: IncomingMessage) => void;
}

type Handler = (ctx: RouteContext, req: IncomingMessage, res: ServerResponse, url: URL) => void | Promise<void>;

const API_ROUTES: ReadonlyMap<string, Handler> = new Map<string, Handler>([
  ['/api/symbols', symbolsRoute],
  ['/api/quotes', quotesRoute],
  ['/healthz', healthRoute],
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
    ctx.staticFiles.send(req, res, file);
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
  const list = ctx.hub.universe().map(({ symbol, name, exchange, currency, prevClose }) => ({
    symbol,
    name,
    exchange,
    currency,
    prevClose,
  }));
  sendJson(res, 200, list, req);
}

function quotesRoute(ctx: RouteContext, req: IncomingMessage, res: ServerResponse, url: URL): void {
  const param = url.searchParams.get('symbols');
  if (param === null || param.trim() === '*') {
    sendJson(res, 200, { quotes: ctx.hub.snapshot() }, req);
    return;
  }
  const wanted = [...new Set(param.split(',').map((s) => s.trim()).filter((s) => s !== ''))];
  // Symbols match case-insensitively, as in WebSocket subscriptions ('aapl' finds AAPL).
  const known = new Set(ctx.hub.universe().map((s) => s.symbol.toUpperCase()));
  const unknown = wanted.filter((s) => !known.has(s.toUpperCase()));
  if (unknown.length > 0) {
    sendJson(res, 404, { error: 'unknown_symbol', message: `unknown symbols: ${unknown.join(', ')}`, symbols: unknown }, req);
    return;
  }
  sendJson(res, 200, { quotes: wanted.length === 0 ? [] : ctx.hub.snapshot(wanted) }, req);
}

function healthRoute(ctx: RouteContext, req: IncomingMessage, res: ServerResponse): void {
  const stats = ctx.hub.stats();
  sendJson(
    res,
    200,
    {
      status: 'ok',
      server: 'tickstream',
      version: ctx.version,
      uptime: Math.round((Date.now() - ctx.startedAt) / 1000),
      feed: ctx.feedName,
      symbols: ctx.hub.universe().length,
      clients: stats.clients,
      subscriptions: stats.subscriptions,
      slowClients: stats.slowClients,
    },
    req,
  );
}

async function metricsRoute(ctx: RouteContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  sendBody(req, res, 200, ctx.metrics.contentType, await ctx.metrics.render());
}

function methodNotAllowed(res: ServerResponse): void {
  res.setHeader('Allow', READ_METHODS);
  sendJson(res, 405, { error: 'method_not_allowed', message: `use ${READ_METHODS}` });
}

function sendJson(res: ServerResponse, status: number, body: unknown, req?: IncomingMessage): void {
  sendBody(req, res, status, 'application/json; charset=utf-8', JSON.stringify(body));
}

function sendBody(
  req: IncomingMessage | undefined,
  res: ServerResponse,
  status: number,
  contentType: string,
  body: string,
): void {
  const bytes = Buffer.from(body, 'utf8');
  res.writeHead(status, {
    'Content-Type': contentType,
    'Content-Length': bytes.length,
    'Cache-Control': 'no-store',
  });
  res.end(req?.method === 'HEAD' ? undefined : bytes);
}
