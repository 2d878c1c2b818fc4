import { decimalField, isRecord, numberField, parseJson, stringField, type JsonRecord } from './parse.js';
import type { SymbolDescription } from './upstream-quotes.js';

/**
 * Binance spot market streams (https://developers.binance.com/docs/binance-spot-api-docs/web-socket-streams),
 * as messages. No key is needed. On the combined endpoint (`/stream?streams=a/b`) every event comes
 * wrapped as `{"stream":"<name>","data":<event>}`; stream names are lowercase:
 * - `<symbol>@trade`: `{"e":"trade","E":eventTime,"s":"BNBBTC","t":tradeId,"p":"0.001","q":"100","T":tradeTime,...}`;
 * - `<symbol>@bookTicker`: `{"u":updateId,"s":"BNBUSDT","b":"25.35","B":"31.21","a":"25.36","A":"40.66"}`;
 * - `!miniTicker@arr`: an array of 24 h rolling mini tickers `{"e":"24hrMiniTicker","E":..,"s":..,"c":close,"o":open,...}`
 *   of the symbols that changed in the last second (used here to learn the universe and each 24 h open).
 * Decimals are strings. Live `{"method":"SUBSCRIBE"|"UNSUBSCRIBE","params":[...],"id":N}` are answered
 * by `{"result":null,"id":N}` or an error `{"code":2,"msg":"...","id":N}` (also seen as
 * `{"error":{"code":..,"msg":..},"id":N}`). The server pings every 20 s (the pong must carry the same
 * payload), a connection lives at most 24 h, takes at most 5 incoming messages a second and 1,024
 * streams; a `serverShutdown` event announces a disconnection.
 */
export const BINANCE_URL = 'wss://stream.binance.com:9443/stream';
export const BINANCE_MAX_STREAMS = 1024;
/** Binance's limit is 5 messages a second, pings and pongs included: we send at most 4, leaving one for a pong. */
export const BINANCE_MESSAGES_PER_SECOND = 4;
export const DISCOVERY_STREAM = '!miniTicker@arr';

export interface MiniTicker {
  readonly symbol: string;
  /** The 24 h rolling open: the reference of change and changePct (crypto trades around the clock). */
  readonly open: number;
  readonly close: number;
}

export type BinanceEvent =
  | { readonly kind: 'trade'; readonly symbol: string; readonly price: number; readonly quantity: number; readonly tradeId: number; readonly tradeTime: number; readonly eventTime: number }
  | { readonly kind: 'book'; readonly symbol: string; readonly bid: number | undefined; readonly ask: number | undefined; readonly updateId: number }
  | { readonly kind: 'tickers'; readonly tickers: readonly MiniTicker[]; readonly badEntries: number; readonly eventTime: number | undefined }
  | { readonly kind: 'result'; readonly id: unknown }
  | { readonly kind: 'error'; readonly code: number; readonly message: string; readonly id: unknown }
  | { readonly kind: 'shutdown' }
  | { readonly kind: 'other' }
  | { readonly kind: 'malformed'; readonly why: string };

export function parseBinanceMessage(text: string): BinanceEvent {
  const value = parseJson(text);
  if (value === undefined) return { kind: 'malformed', why: 'not JSON' };
  if (isRecord(value)) {
    if ('data' in value && typeof value['stream'] === 'string') return parseEvent(value['data']);
    if ('result' in value && 'id' in value) return { kind: 'result', id: value['id'] };
    if (isRecord(value['error'])) return errorEvent(value['error'], value['id']);
    if (typeof value['code'] === 'number' && typeof value['msg'] === 'string') return errorEvent(value, value['id']);
  }
  return parseEvent(value); // a raw (unwrapped) stream event
}

function errorEvent(record: JsonRecord, id: unknown): BinanceEvent {
  return { kind: 'error', code: numberField(record, 'code') ?? 0, message: stringField(record, 'msg') ?? 'unspecified error', id };
}

function parseEvent(data: unknown): BinanceEvent {
  if (Array.isArray(data)) return tickers(data);
  if (!isRecord(data)) return { kind: 'malformed', why: 'an event that is not an object' };
  const type = data['e'];
  if (type === 'trade') {
    const symbol = stringField(data, 's');
    const price = decimalField(data, 'p');
    const quantity = decimalField(data, 'q');
    const tradeId = numberField(data, 't');
    const tradeTime = numberField(data, 'T');
    if (symbol === undefined || price === undefined || quantity === undefined || tradeId === undefined || tradeTime === undefined) {
      return { kind: 'malformed', why: 'a trade without s, p, q, t or T' };
    }
    return { kind: 'trade', symbol, price, quantity, tradeId, tradeTime, eventTime: numberField(data, 'E') ?? tradeTime };
  }
  if (type === 'serverShutdown') return { kind: 'shutdown' };
  if (type === undefined && 'u' in data && 'b' in data && 'a' in data) {
    const symbol = stringField(data, 's');
    const updateId = numberField(data, 'u');
    const bid = decimalField(data, 'b');
    const ask = decimalField(data, 'a');
    if (symbol === undefined || updateId === undefined || bid === undefined || ask === undefined) return { kind: 'malformed', why: 'a book ticker without u, s, b or a' };
    // An empty side is sent as "0.00000000": not known, rather than a price of 0.
    return { kind: 'book', symbol, bid: bid > 0 ? bid : undefined, ask: ask > 0 ? ask : undefined, updateId };
  }
  return { kind: 'other' };
}

function tickers(entries: readonly unknown[]): BinanceEvent {
  const out: MiniTicker[] = [];
  let badEntries = 0;
  let eventTime: number | undefined;
  for (const entry of entries) {
    if (!isRecord(entry)) {
      badEntries++;
      continue;
    }
    const symbol = stringField(entry, 's');
    const open = decimalField(entry, 'o');
    const close = decimalField(entry, 'c');
    if (symbol === undefined || open === undefined || close === undefined) {
      badEntries++;
      continue;
    }
    const stamp = numberField(entry, 'E');
    if (stamp !== undefined && (eventTime === undefined || stamp > eventTime)) eventTime = stamp;
    out.push({ symbol, open, close });
  }
  return { kind: 'tickers', tickers: out, badEntries, eventTime };
}

/** The two streams a symbol is quoted from: its book ticker (bid/ask) and its trades (last, volume). */
export function streamsOf(symbol: string): [string, string] {
  const lower = symbol.toLowerCase();
  return [`${lower}@bookTicker`, `${lower}@trade`];
}

export function binanceRequest(method: 'SUBSCRIBE' | 'UNSUBSCRIBE', params: readonly string[], id: number): string {
  return JSON.stringify({ method, params, id });
}

/** Quote assets, longest first, to tell BTCUSDT = BTC/USDT (Binance symbols have no separator). */
const QUOTE_ASSETS = [
  'FDUSD', 'USDT', 'USDC', 'TUSD', 'BUSD', 'USDP', 'AEUR', 'EURI', 'BIDR', 'DAI', 'BTC', 'ETH', 'BNB', 'EUR', 'TRY', 'BRL',
  'JPY', 'GBP', 'AUD', 'ARS', 'MXN', 'PLN', 'RON', 'UAH', 'ZAR', 'IDR', 'COP', 'CZK', 'XRP', 'TRX', 'DOGE', 'SOL',
].sort((a, b) => b.length - a.length);

/** BTCUSDT → name "BTC/USDT", currency "USDT" (the quote asset), exchange "BINANCE". */
export function describeBinanceSymbol(symbol: string): SymbolDescription {
  const quote = QUOTE_ASSETS.find((asset) => symbol.length > asset.length && symbol.endsWith(asset));
  return {
    symbol,
    name: quote === undefined ? symbol : `${symbol.slice(0, -quote.length)}/${quote}`,
    exchange: 'BINANCE',
    currency: quote ?? '',
  };
}
