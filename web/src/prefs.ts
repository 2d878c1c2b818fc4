// Dashboard preferences remembered in localStorage. Every read tolerates missing or corrupt values,
// because storage is shared with whatever else ran on this origin.
import { isTimeframe, type Timeframe } from './wire.js';

const KEY_WATCHLIST = 'tickstream.watchlist';
const KEY_COLORS = 'tickstream.colors';
const KEY_CADENCE = 'tickstream.cadence';
const KEY_CHART = 'tickstream.chart';

/** A mix of US large caps and Shanghai/Shenzhen A-shares. */
export const DEFAULT_WATCHLIST: readonly string[] = [
  'AAPL', 'MSFT', 'NVDA', 'AMZN', 'GOOGL', 'TSLA', 'META',
  '600519.SH', '601318.SH', '600036.SH', '000858.SZ', '300750.SZ', '000001.SZ',
];

/** 'green-up' (US/EU convention) or 'red-up' (mainland China convention). */
export type ColorConvention = 'green-up' | 'red-up';

export interface ChartPrefs {
  kind: 'line' | 'candles';
  /** Bar timeframe (the server keeps 1s, 5s, 1m and 5m bars). */
  tf: Timeframe;
  symbol: string | null;
}

function read(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null; // storage disabled (privacy mode): behave as a first visit
  }
}

function write(key: string, value: string): void {
  try {
    localStorage.setItem(key, value);
  } catch {
    /* quota or disabled storage: preferences simply are not remembered */
  }
}

export function loadWatchlist(): string[] {
  const raw = read(KEY_WATCHLIST);
  if (raw === null) return [...DEFAULT_WATCHLIST];
  try {
    const parsed: unknown = JSON.parse(raw);
    if (Array.isArray(parsed)) return [...new Set(parsed.filter((s): s is string => typeof s === 'string' && s.length > 0))];
  } catch {
    /* fall through to the default */
  }
  return [...DEFAULT_WATCHLIST];
}

export function saveWatchlist(symbols: readonly string[]): void {
  write(KEY_WATCHLIST, JSON.stringify(symbols));
}

export function loadColors(): ColorConvention {
  return read(KEY_COLORS) === 'red-up' ? 'red-up' : 'green-up';
}

export function saveColors(value: ColorConvention): void {
  write(KEY_COLORS, value);
}

export function loadCadence(allowed: readonly number[], fallback: number): number {
  const n = Number(read(KEY_CADENCE));
  return read(KEY_CADENCE) !== null && allowed.includes(n) ? n : fallback;
}

export function saveCadence(ms: number): void {
  write(KEY_CADENCE, String(ms));
}

export function loadChartPrefs(): ChartPrefs {
  const prefs: ChartPrefs = { kind: 'candles', tf: '1m', symbol: null };
  try {
    const parsed = JSON.parse(read(KEY_CHART) ?? '{}') as Partial<ChartPrefs> & { resolution?: unknown };
    if (parsed.kind === 'line' || parsed.kind === 'candles') prefs.kind = parsed.kind;
    if (isTimeframe(parsed.tf)) prefs.tf = parsed.tf;
    else if (parsed.resolution === 5) prefs.tf = '5s'; // saved by the page before server-side bars
    if (typeof parsed.symbol === 'string') prefs.symbol = parsed.symbol;
  } catch {
    /* defaults */
  }
  return prefs;
}

export function saveChartPrefs(prefs: ChartPrefs): void {
  write(KEY_CHART, JSON.stringify(prefs));
}
