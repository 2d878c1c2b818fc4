/**
 * The history side of the REST API: bars, recent ticks and market sessions (docs/history.md).
 * Same rules as GET /api/quotes: symbols resolve case-insensitively, an unknown one is 404, one the
 * token does not entitle is 403, a bad parameter is 400 with the rule in the message.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Tick } from '../market/bars/index.js';
import { CALENDARS, marketStateAt } from '../market/sessions/index.js';
import {
  BAR_LIMIT_RULE,
  BAR_TIMEFRAME_RULE,
  DEFAULT_BAR_LIMIT,
  isBarLimit,
  isBarTimeframe,
  type BarTimeframe,
  type BarsFields,
} from '../wire/index.js';
import { sendJson } from './http-reply.js';
import { readQuoteAccess } from './quote-access.js';
import type { RouteContext } from './routes.js';

/** What the history routes read from the hub. */
export interface HistoryView {
  bars(symbol: string, tf: BarTimeframe, limit: number): BarsFields;
  ticks(symbol: string, limit: number): Tick[];
}

export const DEFAULT_TICK_LIMIT = 100;
export const MAX_TICK_LIMIT = 200;

/** GET /api/bars?symbol=AAPL&tf=1m&limit=300 */
export async function barsRoute(ctx: RouteContext, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const tf = url.searchParams.get('tf') ?? '1m';
  if (!isBarTimeframe(tf)) return badRequest(res, req, BAR_TIMEFRAME_RULE.replaceAll('"', ''));
  const limit = readLimit(url, DEFAULT_BAR_LIMIT);
  if (!isBarLimit(limit)) return badRequest(res, req, BAR_LIMIT_RULE.replaceAll('"', ''));
  const symbol = await readSymbol(ctx, req, res, url);
  if (symbol !== null) sendJson(res, 200, ctx.history.bars(symbol, tf, limit), req);
}

/** GET /api/ticks?symbol=AAPL&limit=100 */
export async function ticksRoute(ctx: RouteContext, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const limit = readLimit(url, DEFAULT_TICK_LIMIT);
  if (!(Number.isInteger(limit) && limit >= 1 && limit <= MAX_TICK_LIMIT)) {
    return badRequest(res, req, `limit must be an integer from 1 to ${MAX_TICK_LIMIT}`);
  }
  const symbol = await readSymbol(ctx, req, res, url);
  if (symbol === null) return;
  const cache = ctx.hub.cache;
  sendJson(res, 200, { symbol, epoch: cache.epoch, offset: cache.offset, ticks: ctx.history.ticks(symbol, limit) }, req);
}

/**
 * GET /api/markets: each exchange calendar's state now. `state` is what this server's market does
 * (with --always-open every market trades), `exchangeState` what the real exchange calendar says.
 */
export function marketsRoute(ctx: RouteContext, req: IncomingMessage, res: ServerResponse): void {
  const now = Date.now();
  const markets = CALENDARS.map((calendar) => {
    const at = marketStateAt(calendar, now);
    return {
      id: calendar.id,
      name: calendar.name,
      exchanges: calendar.exchanges,
      timeZone: calendar.timeZone,
      state: ctx.alwaysOpen ? 'open' : at.state,
      exchangeState: at.state,
      localTime: at.localTime,
      preOpen: calendar.preOpen,
      sessions: calendar.sessions,
      nextChange: ctx.alwaysOpen ? null : at.nextChange,
    };
  });
  sendJson(res, 200, { alwaysOpen: ctx.alwaysOpen, now, markets }, req);
}

function readLimit(url: URL, fallback: number): number {
  const raw = url.searchParams.get('limit');
  return raw === null || raw.trim() === '' ? fallback : Number(raw);
}

/** The canonical symbol of ?symbol=, or null once an error has been answered. */
async function readSymbol(ctx: RouteContext, req: IncomingMessage, res: ServerResponse, url: URL): Promise<string | null> {
  const raw = url.searchParams.get('symbol')?.trim() ?? '';
  if (raw === '') {
    badRequest(res, req, 'symbol is required, e.g. ?symbol=AAPL');
    return null;
  }
  const access = await readQuoteAccess(ctx, req, res, url);
  if (access === null) return null;
  const symbol = ctx.hub.cache.resolve(raw);
  if (symbol === undefined) {
    sendJson(res, 404, { error: 'unknown_symbol', message: `unknown symbol: ${raw}`, symbols: [raw] }, req);
    return null;
  }
  if (access !== undefined && !access.allows(symbol)) {
    sendJson(res, 403, { error: 'forbidden_symbol', message: `not entitled to: ${symbol}`, symbols: [symbol] }, req);
    return null;
  }
  return symbol;
}

function badRequest(res: ServerResponse, req: IncomingMessage, message: string): void {
  sendJson(res, 400, { error: 'bad_request', message }, req);
}
