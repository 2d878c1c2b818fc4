/**
 * The wire protocol's types (docs/api.md), in one place for every party: the hub that writes the
 * messages, the web pages and `tickstream watch` that read them, the tests. No I/O and no Node APIs:
 * the browser bundle imports this file as is.
 */

import type { BarTimeframe } from './limits.js';

/** A JSON-safe `id` a client attaches to a command, echoed in the replies it causes. */
export type CommandId = string | number;

/** A quote as it travels; also the server's domain Quote (src/market/quote.ts). */
export interface WireQuote {
  symbol: string;
  last: number;
  /** Best bid; bid <= last <= ask always. */
  bid: number;
  ask: number;
  open: number;
  high: number;
  low: number;
  prevClose: number;
  /** last - prevClose, on the prices' own decimal grid (0.01 for stocks). */
  change: number;
  /** (last - prevClose) / prevClose * 100, rounded to 2 decimals. */
  changePct: number;
  /** Cumulative quantity traded in the session. Never decreases. */
  volume: number;
  /** Milliseconds since the Unix epoch; never decreases per symbol. */
  ts: number;
  /** Per-symbol sequence number, strictly increasing from 1 within one stream epoch. */
  seq: number;
}

/**
 * One OHLCV bar: `t` is its start (ms since the Unix epoch, a multiple of the timeframe), `v` the
 * quantity traded in it. Bars are built by the quote's `ts`.
 */
export interface WireBar {
  t: number;
  o: number;
  h: number;
  l: number;
  c: number;
  v: number;
}

export type FeedState = 'up' | 'stale' | 'down';

export interface WireFeedStatus {
  state: FeedState;
  reason?: string;
}

export interface WireSymbolInfo {
  symbol: string;
  name: string;
  exchange: string;
  currency: string;
  prevClose: number;
}

export type ErrorCode =
  | 'bad_json'
  | 'bad_request'
  | 'unknown_command'
  | 'unknown_symbol'
  | 'too_many_symbols'
  | 'rate_limited'
  | 'forbidden'
  | 'forbidden_symbol'
  | 'invalid_token'
  | 'token_expired'
  | 'auth_unavailable';

export interface WelcomeMessage {
  type: 'welcome';
  server: string;
  version: string;
  /** The stream epoch: `seq` values compare only within one epoch. */
  epoch: string;
  feed: WireFeedStatus;
  interval: number;
  heartbeat: number;
  symbols: string[];
  /** The cluster worker serving this connection (absent outside a cluster). */
  worker?: number;
}

/** Every message the server sends. Members without a value are absent (e.g. `id` of an unnumbered command). */
export type ServerMessage =
  | WelcomeMessage
  /** A new stream epoch: forget every seq; a snapshot of the subscription follows. */
  | { type: 'epoch'; epoch: string; previous: string }
  | { type: 'status'; feed: FeedState; reason?: string }
  | { type: 'symbols'; added: WireSymbolInfo[]; removed: string[] }
  /**
   * `offset`: the stream offset the message brings the client to (send it back as `since` when
   * reconnecting). `recovered`: present on the first snapshot of a connection that asked for `since`.
   */
  | { type: 'snapshot'; id?: CommandId; quotes: WireQuote[]; offset: number; recovered?: boolean }
  | { type: 'quotes'; quotes: WireQuote[]; offset: number }
  | { type: 'subscriptions'; id?: CommandId; symbols: string[] }
  | { type: 'interval'; id?: CommandId; interval: number }
  | { type: 'heartbeat'; ts: number }
  | { type: 'pong'; id?: CommandId; ts: number }
  | { type: 'refreshed'; id?: CommandId; sub: string; expiresAt: number | null; removed?: string[] }
  /**
   * History of one symbol, oldest first (the last bar may be in progress), as of stream `offset`:
   * every quote up to that offset is in the bars. `seq` is the symbol's seq there (0: none yet) and
   * `volume` its cumulative volume: a client continues the bars with the quotes of a higher seq,
   * each adding its volume growth (docs/history.md, the seam rule).
   */
  | { type: 'bars'; id?: CommandId; symbol: string; tf: BarTimeframe; epoch: string; offset: number; seq: number; volume: number; bars: WireBar[] }
  | { type: 'error'; id?: CommandId; code: ErrorCode; message: string; symbols?: string[] };

export type ServerMessageType = ServerMessage['type'];

/** Every command a client may send, as written on the wire. */
export type ClientCommandMessage =
  | { type: 'subscribe'; symbols: string[]; id?: CommandId }
  | { type: 'unsubscribe'; symbols: string[]; id?: CommandId }
  | { type: 'interval'; interval: number; id?: CommandId }
  | { type: 'snapshot'; symbols?: string[]; id?: CommandId }
  | { type: 'ping'; id?: CommandId }
  | { type: 'refresh'; token: string; id?: CommandId }
  | { type: 'bars'; symbol: string; tf: BarTimeframe; limit?: number; id?: CommandId };
