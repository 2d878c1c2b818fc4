import { ALL_SYMBOLS, INTERVAL_RULE, MAX_SYMBOL_LENGTH, isValidInterval } from '../wire/index.js';

export interface ConnectParams {
  /** ['*'] = every symbol, [] = none, otherwise the requested symbols (not yet checked against the universe). */
  symbols: string[];
  intervalMs: number;
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

  const symbolsText = query.get('symbols');
  if (symbolsText === null) return { symbols: [ALL_SYMBOLS], intervalMs };
  const symbols: string[] = [];
  const seen = new Set<string>();
  for (const raw of symbolsText.split(',')) {
    const symbol = raw.trim();
    if (symbol === '') continue;
    if (symbol === ALL_SYMBOLS) return { symbols: [ALL_SYMBOLS], intervalMs };
    if (symbol.length > MAX_SYMBOL_LENGTH) return { error: `symbol longer than ${MAX_SYMBOL_LENGTH} characters` };
    if (seen.has(symbol)) continue;
    seen.add(symbol);
    symbols.push(symbol);
  }
  if (defaults.maxSymbols !== undefined && symbols.length > defaults.maxSymbols) {
    return { error: `too many symbols (at most ${defaults.maxSymbols})` };
  }
  return { symbols, intervalMs };
}
