// The wire protocol's types and decoder come from src/wire (bundled as is: it has no I/O and no Node
// APIs), the bars command and reply included. Only what is specific to these pages is defined here:
// the cadences offered, and GET /api/markets (docs/history.md).
import type { ClientCommandMessage, ServerMessage } from '../../src/wire/index.js';

export type {
  ClientCommandMessage,
  CommandId,
  FeedState,
  ServerMessage,
  WireFeedStatus as FeedStatus,
  WireQuote as Quote,
  WireSymbolInfo as SymbolInfo,
} from '../../src/wire/index.js';
export { decodeServerMessage } from '../../src/wire/index.js';

/** Cadences offered by the dashboard: 0 = every tick as it happens. */
export const CADENCES = [0, 250, 1000] as const;

/** Bar timeframes the server keeps (bars aligned to UTC multiples of the timeframe). */
export { BAR_TIMEFRAMES as TIMEFRAMES, BAR_TIMEFRAME_MS as TIMEFRAME_MS, isBarTimeframe as isTimeframe } from '../../src/wire/index.js';
export type { BarTimeframe as Timeframe, WireBar as Bar } from '../../src/wire/index.js';

/** `{"type":"bars","symbol":"AAPL","tf":"1m","limit":300,"id":7}` */
export type BarsCommand = Extract<ClientCommandMessage, { type: 'bars' }>;

/**
 * The reply to `bars`: oldest first, the last bar possibly still in progress; `offset` is the stream
 * offset the bars are current to, `seq` and `volume` the symbol's there (the seam, docs/history.md).
 */
export type BarsReply = Extract<ServerMessage, { type: 'bars' }>;

/** Every command these pages send. */
export type ClientCommand = ClientCommandMessage;

/** Every message the dashboard handles. */
export type IncomingMessage = ServerMessage;

/** Where a market is in its day. */
export type SessionState = 'pre-open' | 'open' | 'break' | 'closed';

/** One market of GET /api/markets. */
export interface MarketInfo {
  id: string;
  name: string;
  /** The `exchange` values (symbol info) that trade on this calendar. */
  exchanges: string[];
  timeZone: string;
  /** What the server's feed does now (every market is `open` when the server runs with --always-open). */
  state: SessionState;
  /** What the real exchange calendar says now. */
  exchangeState: SessionState;
  localTime: string;
  sessions: { open: string; close: string }[];
  /** When `state` changes next (ms), or null. */
  nextChange: number | null;
}

export interface MarketsResponse {
  alwaysOpen: boolean;
  /** The server's clock (ms) when it answered. */
  now: number;
  markets: MarketInfo[];
}
