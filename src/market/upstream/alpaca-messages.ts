import type { QuoteUpdate } from '../normaliser.js';
import { isRecord, numberField, parseJson, rfc3339Field, stringField, type JsonRecord } from './parse.js';

/**
 * Alpaca's market data stream v2 for stocks (https://docs.alpaca.markets/docs/streaming-market-data,
 * .../real-time-stock-pricing-data), as messages. Every message from the server is a JSON array of
 * objects with a type `T`:
 * - `{"T":"success","msg":"connected"}` on connect, `{"T":"success","msg":"authenticated"}` after
 *   our `{"action":"auth","key":...,"secret":...}` (due within 10 s of connecting);
 * - `{"T":"subscription","trades":[...],"quotes":[...],...}` acknowledges a subscribe with the
 *   whole current set (subscribing is additive);
 * - `{"T":"t","S":"AAPL","p":126.55,"s":1,"t":"2021-02-22T15:51:44.208Z",...}` a trade,
 *   `{"T":"q","S":"AMD","bp":87.66,"bs":1,"ap":87.68,"as":4,"t":"...",...}` a quote (best bid/offer);
 * - `{"T":"error","code":402,"msg":"auth failed"}` and the other numeric codes below.
 */
export const ALPACA_STREAM_BASE = 'wss://stream.data.alpaca.markets/v2/';
/** Data feeds selectable as `--feed alpaca:FEED`. */
export const ALPACA_FEEDS = ['iex', 'sip', 'delayed_sip', 'test'] as const;

export type AlpacaEvent =
  | { readonly kind: 'connected' }
  | { readonly kind: 'authenticated' }
  | { readonly kind: 'subscription'; readonly trades: readonly string[]; readonly quotes: readonly string[] }
  | { readonly kind: 'error'; readonly code: number; readonly message: string }
  | { readonly kind: 'update'; readonly update: QuoteUpdate }
  | { readonly kind: 'other' }
  | { readonly kind: 'malformed'; readonly why: string };

/** The events of one server message (an array); a message that is not an array is one malformed event. */
export function parseAlpacaMessage(text: string): AlpacaEvent[] {
  const value = parseJson(text);
  if (!Array.isArray(value)) return [{ kind: 'malformed', why: 'not a JSON array' }];
  return value.map((entry) => (isRecord(entry) ? parseEntry(entry) : { kind: 'malformed', why: 'an entry that is not an object' }));
}

function parseEntry(entry: JsonRecord): AlpacaEvent {
  const type = stringField(entry, 'T');
  switch (type) {
    case 't': {
      const symbol = stringField(entry, 'S');
      const price = numberField(entry, 'p');
      const size = numberField(entry, 's');
      const ts = rfc3339Field(entry, 't');
      if (symbol === undefined || price === undefined || ts === undefined) return { kind: 'malformed', why: 'a trade without S, p or t' };
      return { kind: 'update', update: size === undefined ? { symbol, last: price, ts } : { symbol, last: price, size, ts } };
    }
    case 'q': {
      const symbol = stringField(entry, 'S');
      const ts = rfc3339Field(entry, 't');
      // An empty side of the book is sent as price 0: that side is simply not known.
      const bid = positive(numberField(entry, 'bp'));
      const ask = positive(numberField(entry, 'ap'));
      if (symbol === undefined || ts === undefined) return { kind: 'malformed', why: 'a quote without S or t' };
      if (bid === undefined && ask === undefined) return { kind: 'other' };
      return { kind: 'update', update: { symbol, ts, ...(bid !== undefined ? { bid } : {}), ...(ask !== undefined ? { ask } : {}) } };
    }
    case 'success': {
      const msg = stringField(entry, 'msg');
      if (msg === 'connected') return { kind: 'connected' };
      if (msg === 'authenticated') return { kind: 'authenticated' };
      return { kind: 'other' };
    }
    case 'subscription':
      return { kind: 'subscription', trades: stringList(entry['trades']), quotes: stringList(entry['quotes']) };
    case 'error':
      return { kind: 'error', code: numberField(entry, 'code') ?? 0, message: stringField(entry, 'msg') ?? 'unspecified error' };
    case undefined:
      return { kind: 'malformed', why: 'an entry without "T"' };
    default:
      // Bars, statuses, corrections ("c") and cancels ("x") are not used by this feed.
      return { kind: 'other' };
  }
}

function positive(n: number | undefined): number | undefined {
  return n !== undefined && n > 0 ? n : undefined;
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((s): s is string => typeof s === 'string') : [];
}

export function alpacaAuth(key: string, secret: string): string {
  return JSON.stringify({ action: 'auth', key, secret });
}

export function alpacaSubscribe(symbols: readonly string[]): string {
  return JSON.stringify({ action: 'subscribe', trades: symbols, quotes: symbols });
}

/** What an Alpaca error code means for us. */
export interface AlpacaErrorMeaning {
  /** One line for the log and the feed status. */
  readonly text: string;
  /** fatal: retrying soon cannot help (wait authRetryMs); reconnect: drop and reconnect with backoff; log: carry on. */
  readonly action: 'fatal' | 'reconnect' | 'log';
}

/** The error codes of Alpaca's stream documentation, mapped to clear messages. */
export function alpacaError(code: number, message: string): AlpacaErrorMeaning {
  const quoted = `(${code} "${message.slice(0, 80)}")`;
  switch (code) {
    case 402:
      return { action: 'fatal', text: `alpaca: authentication failed ${quoted}: check APCA_API_KEY_ID and APCA_API_SECRET_KEY` };
    case 404:
      return { action: 'reconnect', text: `alpaca: authentication timed out ${quoted}` };
    case 405:
      return { action: 'fatal', text: `alpaca: symbol limit exceeded ${quoted}: your plan allows fewer symbols (the free IEX plan: 30); give fewer with --feed-symbols` };
    case 406:
      return { action: 'fatal', text: `alpaca: connection limit exceeded ${quoted}: another connection with these keys is open (most plans allow one per endpoint)` };
    case 407:
      return { action: 'reconnect', text: `alpaca: the server dropped us as a slow client ${quoted}` };
    case 409:
      return { action: 'fatal', text: `alpaca: insufficient subscription ${quoted}: this data feed is not in your plan (try --feed alpaca:iex)` };
    case 500:
      return { action: 'reconnect', text: `alpaca: internal error on the server ${quoted}` };
    default:
      // 400 invalid syntax, 401 not authenticated, 403 already authenticated, 410 invalid subscribe action: our bug, not fatal.
      return { action: 'log', text: `alpaca: upstream error ${quoted}` };
  }
}
