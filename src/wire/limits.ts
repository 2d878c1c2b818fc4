/** Rules of the wire protocol that both ends know (docs/api.md). */

/** Push cadences a client may choose: 0 = every tick, or MIN..MAX milliseconds. */
export const MIN_INTERVAL_MS = 10;
export const MAX_INTERVAL_MS = 60_000;
/** Longest symbol accepted from a client; real tickers are far shorter. */
export const MAX_SYMBOL_LENGTH = 32;
/** The subscription wildcard: every symbol the feed publishes. */
export const ALL_SYMBOLS = '*';
/** Longest token accepted in a refresh command (a JWT with a large entitlement list fits). */
export const MAX_TOKEN_LENGTH = 64 * 1024;

/**
 * The close code and reason a server sends when a connection's token expires (application range
 * 4000-4999): the client needs a new token before it reconnects.
 */
export const TOKEN_EXPIRED_CLOSE_CODE = 4001;
export const TOKEN_EXPIRED_REASON = 'token expired';

export function isValidInterval(value: unknown): value is number {
  return (
    typeof value === 'number' &&
    Number.isInteger(value) &&
    (value === 0 || (value >= MIN_INTERVAL_MS && value <= MAX_INTERVAL_MS))
  );
}

export const INTERVAL_RULE = `interval must be 0 or an integer from ${MIN_INTERVAL_MS} to ${MAX_INTERVAL_MS} ms`;

/** Bar timeframes a client may ask for (`bars` command, GET /api/bars). */
export const BAR_TIMEFRAMES = ['1s', '5s', '1m', '5m'] as const;
export type BarTimeframe = (typeof BAR_TIMEFRAMES)[number];
/** Length of each timeframe's bars, ms: a bar starts at `ts − ts mod length` (UTC-aligned). */
export const BAR_TIMEFRAME_MS: Readonly<Record<BarTimeframe, number>> = { '1s': 1_000, '5s': 5_000, '1m': 60_000, '5m': 300_000 };
/** Bars a client gets when it does not say how many, and the most one request returns. */
export const DEFAULT_BAR_LIMIT = 300;
export const MAX_BAR_LIMIT = 3_600;

export function isBarTimeframe(value: unknown): value is BarTimeframe {
  return typeof value === 'string' && (BAR_TIMEFRAMES as readonly string[]).includes(value);
}

export const BAR_TIMEFRAME_RULE = `"tf" must be one of ${BAR_TIMEFRAMES.join(', ')}`;
export const BAR_LIMIT_RULE = `"limit" must be an integer from 1 to ${MAX_BAR_LIMIT}`;
