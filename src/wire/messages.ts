import type { CommandId, ErrorCode, WelcomeMessage, WireBar, WireFeedStatus, WireSymbolInfo } from './types.js';
import type { BarTimeframe } from './limits.js';

/**
 * Builders for the low-rate control messages (one per client request or per connection). They use
 * JSON.stringify: clarity over speed here; the quotes hot path is in quote-json.ts and the hub's
 * QuoteEncoder.
 */

/** The welcome message's fields (everything but its type). */
export type WelcomeFields = Omit<WelcomeMessage, 'type' | 'symbols'> & { symbols: readonly string[] };

export function welcomeMessage(fields: WelcomeFields): string {
  return JSON.stringify({ type: 'welcome', ...fields });
}

/**
 * The stream started a new epoch (the feed or the ingest restarted): the client must forget every
 * seq it holds; a snapshot of its subscription in the new epoch follows at once.
 */
export function epochMessage(epoch: string, previous: string): string {
  return JSON.stringify({ type: 'epoch', epoch, previous });
}

/** The feed's health changed: `up`, `stale` (no data for a while) or `down`, with a reason. */
export function statusMessage(status: WireFeedStatus): string {
  return JSON.stringify({ type: 'status', feed: status.state, reason: status.reason });
}

/** The universe changed: symbols that can now be subscribed to, and symbols that are gone. */
export function symbolsMessage(added: readonly WireSymbolInfo[], removed: readonly string[]): string {
  return JSON.stringify({
    type: 'symbols',
    added: added.map(({ symbol, name, exchange, currency, prevClose }) => ({ symbol, name, exchange, currency, prevClose })),
    removed,
  });
}

export function subscriptionsMessage(id: CommandId | undefined, symbols: readonly string[]): string {
  return JSON.stringify({ type: 'subscriptions', id, symbols });
}

export function intervalMessage(id: CommandId | undefined, interval: number): string {
  return JSON.stringify({ type: 'interval', id, interval });
}

export function pongMessage(id: CommandId | undefined, ts: number): string {
  return JSON.stringify({ type: 'pong', id, ts });
}

export function heartbeatMessage(ts: number): string {
  return `{"type":"heartbeat","ts":${ts}}`;
}

export function errorMessage(
  id: CommandId | undefined,
  code: ErrorCode,
  message: string,
  symbols?: readonly string[],
): string {
  // JSON.stringify drops undefined members, so absent id/symbols do not appear on the wire.
  return JSON.stringify({ type: 'error', id, code, message, symbols });
}

/** `{"type":"refreshed",...}`: the new token is in force; `removed` lists symbols no longer entitled. */
export function refreshedMessage(id: CommandId | undefined, sub: string, expiresAt: number | null, removed: readonly string[]): string {
  return JSON.stringify({ type: 'refreshed', id, sub, expiresAt, removed: removed.length > 0 ? removed : undefined });
}

/** The fields of a `bars` reply (also the body of GET /api/bars). */
export interface BarsFields {
  symbol: string;
  tf: BarTimeframe;
  epoch: string;
  offset: number;
  seq: number;
  volume: number;
  bars: readonly WireBar[];
}

/** `{"type":"bars",...}`: a symbol's history at one timeframe, as of a stream offset. */
export function barsMessage(id: CommandId | undefined, fields: BarsFields): string {
  return JSON.stringify({ type: 'bars', id, ...fields });
}
