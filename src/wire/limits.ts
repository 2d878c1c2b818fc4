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
