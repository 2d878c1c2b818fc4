/** Push cadences a client may choose (wire protocol): 0 = every tick, or MIN..MAX milliseconds. */
export const MIN_INTERVAL_MS = 10;
export const MAX_INTERVAL_MS = 60_000;
/** Longest symbol accepted from a client; real tickers are far shorter. */
export const MAX_SYMBOL_LENGTH = 32;
/** The subscription wildcard: every symbol the feed publishes. */
export const ALL_SYMBOLS = '*';

export function isValidInterval(value: unknown): value is number {
  return (
    typeof value === 'number' &&
    Number.isInteger(value) &&
    (value === 0 || (value >= MIN_INTERVAL_MS && value <= MAX_INTERVAL_MS))
  );
}

export const INTERVAL_RULE = `interval must be 0 or an integer from ${MIN_INTERVAL_MS} to ${MAX_INTERVAL_MS} ms`;

/**
 * Hub timers never keep the process alive on their own: the HTTP server and the feed do. This keeps
 * a test that fails before hub.stop() from hanging. (Mocked timers may lack unref.)
 */
export function unrefTimer<T>(timer: T): T {
  (timer as { unref?: () => void }).unref?.();
  return timer;
}
