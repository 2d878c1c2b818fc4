import type { QuoteUpdate } from '../normaliser.js';
import { isRecord, numberField, parseJson, stringField } from './parse.js';

/**
 * Finnhub's WebSocket trades API (https://finnhub.io/docs/api/websocket-trades), as messages:
 * - we send one `{"type":"subscribe","symbol":"AAPL"}` per symbol;
 * - it sends `{"type":"trade","data":[{"s":"AAPL","p":189.5,"t":1700000000000,"v":100,"c":["1"]}]}`
 *   (s symbol, p price, t epoch ms, v volume, c trade conditions), `{"type":"ping"}` to keep the
 *   connection alive, and `{"type":"error","msg":"..."}`.
 * Trades only: no bid/ask, so the normaliser quotes bid = ask = last.
 */
export const FINNHUB_URL = 'wss://ws.finnhub.io';

export type FinnhubMessage =
  | { readonly kind: 'trades'; readonly updates: readonly QuoteUpdate[]; readonly badEntries: number; readonly latestTs: number | undefined }
  | { readonly kind: 'ping' }
  | { readonly kind: 'error'; readonly message: string }
  | { readonly kind: 'other'; readonly type: string }
  | { readonly kind: 'malformed'; readonly why: string };

export function parseFinnhubMessage(text: string): FinnhubMessage {
  const value = parseJson(text);
  if (!isRecord(value)) return { kind: 'malformed', why: 'not a JSON object' };
  const type = stringField(value, 'type');
  if (type === undefined) return { kind: 'malformed', why: 'no "type"' };
  if (type === 'ping') return { kind: 'ping' };
  if (type === 'error') return { kind: 'error', message: stringField(value, 'msg') ?? 'unspecified error' };
  if (type !== 'trade') return { kind: 'other', type };
  const data = value['data'];
  if (!Array.isArray(data)) return { kind: 'malformed', why: 'trade message without a "data" array' };
  const updates: QuoteUpdate[] = [];
  let badEntries = 0;
  let latestTs: number | undefined;
  for (const entry of data) {
    const update = isRecord(entry) ? tradeUpdate(entry) : undefined;
    if (update === undefined) {
      badEntries++;
      continue;
    }
    updates.push(update);
    if (latestTs === undefined || update.ts! > latestTs) latestTs = update.ts;
  }
  return { kind: 'trades', updates, badEntries, latestTs };
}

function tradeUpdate(entry: Readonly<Record<string, unknown>>): QuoteUpdate | undefined {
  const symbol = stringField(entry, 's');
  const price = numberField(entry, 'p');
  const ts = numberField(entry, 't');
  const size = numberField(entry, 'v');
  if (symbol === undefined || price === undefined || ts === undefined) return undefined;
  return size === undefined ? { symbol, last: price, ts } : { symbol, last: price, size, ts };
}

export function finnhubSubscribe(symbol: string): string {
  return JSON.stringify({ type: 'subscribe', symbol });
}

/** Whether an error message is about the key (Finnhub words it in several ways). */
export function isFinnhubAuthError(message: string): boolean {
  return /api key|token|unauthori[sz]ed|auth/i.test(message);
}

/** The endpoint with the key as Finnhub expects it: `?token=KEY`. Never log the result: use redactSecrets. */
export function finnhubUrl(base: string, token: string): string {
  const url = new URL(base);
  url.searchParams.set('token', token);
  return url.toString();
}
