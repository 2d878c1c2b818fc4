import { ALL_SYMBOLS, INTERVAL_RULE, MAX_SYMBOL_LENGTH, isValidInterval } from '../wire/index.js';

/** A point of the stream: an epoch and an offset in it (a client's `since`). */
export interface StreamPosition {
  epoch: string;
  offset: number;
}

export interface ConnectParams {
  /** ['*'] = every symbol, [] = none, otherwise the requested symbols (not yet checked against the universe). */
  symbols: string[];
  intervalMs: number;
  /** `since=EPOCH:OFFSET`: the client resumes after this point. */
  since?: StreamPosition;
}

export const SINCE_RULE = 'since must be EPOCH:OFFSET, the epoch of the welcome and the offset of the last message received';

/** `EPOCH:OFFSET` → a position, or null when malformed. */
export function parseSince(text: string): StreamPosition | null {
  const match = /^([A-Za-z0-9._-]{1,64}):(\d{1,15})$/.exec(text);
  return match ? { epoch: match[1]!, offset: Number(match[2]) } : null;
}

export interface ConnectDefaults {
  /** Used when the URL has no `interval` parameter. */
  intervalMs: number;
  /** When set, more symbols than this is an error (the app answers the upgrade with 400). */
  maxSymbols?: number;
}

/**
 * Reads `?symbols=A,B&interval=250` from an upgrade URL (wire protocol): no `symbols` = all ('*'),
 * `symbols=` = none; no `interval` = the server default. Returns `{ error }` for input the app should
 * refuse with HTTP 400; unknown symbols are not an error here (the hub reports them after welcome).
 */
export function parseConnectParams(url: URL, defaults: ConnectDefaults): ConnectParams | { error: string } {
  const query = url.searchParams;
  let intervalMs = defaults.intervalMs;
  const intervalText = query.get('interval');
  if (intervalText !== null) {
    const parsed = /^\d{1,6}$/.test(intervalText) ? Number(intervalText) : NaN;
    if (!isValidInterval(parsed)) return { error: INTERVAL_RULE };
    intervalMs = parsed;
  }

  let since: StreamPosition | undefined;
  const sinceText = query.get('since');
  if (sinceText !== null) {
    const parsed = parseSince(sinceText);
    if (parsed === null) return { error: SINCE_RULE };
    since = parsed;
  }
  const withSince = (params: ConnectParams): ConnectParams => (since === undefined ? params : { ...params, since });

  const symbolsText = query.get('symbols');
  if (symbolsText === null) return withSince({ symbols: [ALL_SYMBOLS], intervalMs });
  const symbols: string[] = [];
  const seen = new Set<string>();
  for (const raw of symbolsText.split(',')) {
    const symbol = raw.trim();
    if (symbol === '') continue;
    if (symbol === ALL_SYMBOLS) return withSince({ symbols: [ALL_SYMBOLS], intervalMs });
    if (symbol.length > MAX_SYMBOL_LENGTH) return { error: `symbol longer than ${MAX_SYMBOL_LENGTH} characters` };
    if (seen.has(symbol)) continue;
    seen.add(symbol);
    symbols.push(symbol);
  }
  if (defaults.maxSymbols !== undefined && symbols.length > defaults.maxSymbols) {
    return { error: `too many symbols (at most ${defaults.maxSymbols})` };
  }
  return withSince({ symbols, intervalMs });
}
