import type { Exchange, SymbolInfo } from './quote.js';
import { limitPctForSymbol, roundToTick } from './price-rules.js';

/**
 * A symbol as the simulator models it: the feed-neutral SymbolInfo plus the parameters of its
 * random walk. Only the simulator needs volatility and limitPct; other feeds report plain SymbolInfo.
 */
export interface SimulatedSymbol extends SymbolInfo {
  exchange: Exchange;
  currency: 'USD' | 'CNY';
  /** Annualised volatility (0.30 = 30 % a year), the sigma of the geometric Brownian motion. */
  volatility: number;
  /** Daily price-limit fraction: 0.10 for most A-shares, 0.20 for ChiNext/STAR, null for US. */
  limitPct: number | null;
}

/** The feed-neutral part of a description (what a feed reports through its sink). */
export function neutralInfo(info: SymbolInfo): SymbolInfo {
  const { symbol, name, exchange, currency, prevClose } = info;
  return { symbol, name, exchange, currency, prevClose };
}

/**
 * The symbol universe: a default list of well-known US large caps and China A-shares, plus
 * synthetic symbols (SYM00001, ...) when a larger universe is asked for. prevClose values are
 * plausible recent levels, not live data; volatilities are typical annualised figures.
 */

type Row = readonly [symbol: string, name: string, exchange: Exchange, prevClose: number, volatility: number];

const US_ROWS: readonly Row[] = [
  ['AAPL', 'Apple Inc.', 'NASDAQ', 229.87, 0.24],
  ['MSFT', 'Microsoft Corp.', 'NASDAQ', 425.22, 0.22],
  ['NVDA', 'NVIDIA Corp.', 'NASDAQ', 131.6, 0.5],
  ['AMZN', 'Amazon.com Inc.', 'NASDAQ', 192.41, 0.32],
  ['GOOGL', 'Alphabet Inc. Class A', 'NASDAQ', 171.55, 0.29],
  ['META', 'Meta Platforms Inc.', 'NASDAQ', 563.33, 0.36],
  ['TSLA', 'Tesla Inc.', 'NASDAQ', 251.44, 0.6],
  ['AVGO', 'Broadcom Inc.', 'NASDAQ', 172.5, 0.45],
  ['COST', 'Costco Wholesale Corp.', 'NASDAQ', 905.2, 0.2],
  ['NFLX', 'Netflix Inc.', 'NASDAQ', 702.16, 0.35],
  ['AMD', 'Advanced Micro Devices Inc.', 'NASDAQ', 152.03, 0.5],
  ['INTC', 'Intel Corp.', 'NASDAQ', 22.61, 0.45],
  ['WMT', 'Walmart Inc.', 'NASDAQ', 80.75, 0.18],
  ['JPM', 'JPMorgan Chase & Co.', 'NYSE', 221.43, 0.23],
  ['V', 'Visa Inc.', 'NYSE', 289.74, 0.19],
  ['MA', 'Mastercard Inc.', 'NYSE', 501.66, 0.2],
  ['UNH', 'UnitedHealth Group Inc.', 'NYSE', 561.89, 0.27],
  ['JNJ', 'Johnson & Johnson', 'NYSE', 160.12, 0.16],
  ['XOM', 'Exxon Mobil Corp.', 'NYSE', 116.3, 0.24],
  ['PG', 'Procter & Gamble Co.', 'NYSE', 170.41, 0.15],
  ['KO', 'Coca-Cola Co.', 'NYSE', 70.36, 0.14],
  ['BAC', 'Bank of America Corp.', 'NYSE', 40.07, 0.28],
];

const CN_ROWS: readonly Row[] = [
  ['600519.SH', '贵州茅台', 'SSE', 1530.0, 0.25],
  ['601318.SH', '中国平安', 'SSE', 50.42, 0.28],
  ['600036.SH', '招商银行', 'SSE', 39.2, 0.25],
  ['601398.SH', '工商银行', 'SSE', 6.98, 0.18],
  ['601857.SH', '中国石油', 'SSE', 8.53, 0.25],
  ['600900.SH', '长江电力', 'SSE', 28.96, 0.18],
  ['600276.SH', '恒瑞医药', 'SSE', 49.85, 0.32],
  ['601888.SH', '中国中免', 'SSE', 64.7, 0.4],
  ['600030.SH', '中信证券', 'SSE', 27.35, 0.35],
  ['600887.SH', '伊利股份', 'SSE', 28.12, 0.25],
  ['601012.SH', '隆基绿能', 'SSE', 17.36, 0.45],
  ['688981.SH', '中芯国际', 'SSE', 90.12, 0.55],
  ['688111.SH', '金山办公', 'SSE', 281.5, 0.5],
  ['000858.SZ', '五粮液', 'SZSE', 131.88, 0.32],
  ['000333.SZ', '美的集团', 'SZSE', 74.6, 0.28],
  ['000001.SZ', '平安银行', 'SZSE', 11.27, 0.25],
  ['000651.SZ', '格力电器', 'SZSE', 42.15, 0.27],
  ['002594.SZ', '比亚迪', 'SZSE', 302.4, 0.38],
  ['002415.SZ', '海康威视', 'SZSE', 30.08, 0.32],
  ['300750.SZ', '宁德时代', 'SZSE', 251.3, 0.42],
  ['300059.SZ', '东方财富', 'SZSE', 22.41, 0.5],
  ['300760.SZ', '迈瑞医疗', 'SZSE', 231.7, 0.33],
];

function fromRow([symbol, name, exchange, prevClose, volatility]: Row): SimulatedSymbol {
  const china = exchange === 'SSE' || exchange === 'SZSE';
  return Object.freeze({
    symbol,
    name,
    exchange,
    currency: china ? 'CNY' : 'USD',
    prevClose,
    volatility,
    limitPct: china ? limitPctForSymbol(symbol) : null,
  });
}

/** 44 symbols: 22 NASDAQ/NYSE large caps followed by 22 SSE/SZSE A-shares. */
export const DEFAULT_UNIVERSE: readonly SimulatedSymbol[] = Object.freeze([...US_ROWS, ...CN_ROWS].map(fromRow));

const BY_SYMBOL: ReadonlyMap<string, SimulatedSymbol> = new Map(DEFAULT_UNIVERSE.map((info) => [info.symbol, info]));

/** The default-universe entry of a symbol, if it has one. */
export function findDefaultSymbol(symbol: string): SimulatedSymbol | undefined {
  return BY_SYMBOL.get(symbol);
}

/** Upper bound on a universe size, so a typo in a config cannot allocate gigabytes. */
export const MAX_UNIVERSE_SIZE = 1_000_000;

/** Name of the n-th synthetic symbol (1-based): SYM00001, SYM00002, ... */
export function syntheticSymbol(n: number): string {
  return `SYM${String(n).padStart(5, '0')}`;
}

/**
 * Describes a symbol that is not in the default universe. The exchange follows the code
 * (600000.SH -> SSE, 000001.SZ -> SZSE, anything else NASDAQ); prevClose and volatility come from a
 * hash of the symbol, so the same symbol always gets the same parameters, independent of any seed.
 */
export function describeSymbol(symbol: string, name: string = symbol): SimulatedSymbol {
  const known = BY_SYMBOL.get(symbol);
  if (known !== undefined) return known;
  const h1 = hash32(symbol);
  const h2 = hash32(`${symbol}#vol`);
  const u1 = h1 / 4294967296;
  const u2 = h2 / 4294967296;
  const suffix = /\.(SH|SZ)$/.exec(symbol)?.[1];
  const exchange: Exchange = suffix === 'SH' ? 'SSE' : suffix === 'SZ' ? 'SZSE' : h1 % 2 === 0 ? 'NASDAQ' : 'NYSE';
  const china = suffix !== undefined;
  return Object.freeze({
    symbol,
    name,
    exchange,
    currency: china ? 'CNY' : 'USD',
    // Log-uniform between 5 and 500: spreads the synthetic prices over realistic magnitudes.
    prevClose: roundToTick(5 * Math.pow(100, u1)),
    volatility: Math.round((0.15 + 0.45 * u2) * 100) / 100,
    limitPct: limitPctForSymbol(symbol),
  });
}

/**
 * The universe for a simulator: a count takes the default universe first and continues with
 * synthetic symbols; a list names the symbols (unknown ones are described by describeSymbol).
 */
export function buildUniverse(symbols?: number | readonly string[]): readonly SimulatedSymbol[] {
  if (symbols === undefined) return DEFAULT_UNIVERSE;
  if (typeof symbols === 'number') {
    if (!Number.isInteger(symbols) || symbols < 1 || symbols > MAX_UNIVERSE_SIZE) {
      throw new RangeError(`symbols must be an integer between 1 and ${MAX_UNIVERSE_SIZE}, got ${symbols}`);
    }
    const out = DEFAULT_UNIVERSE.slice(0, symbols);
    for (let n = 1; out.length < symbols; n++) {
      const symbol = syntheticSymbol(n);
      out.push(describeSymbol(symbol, `Synthetic ${symbol.slice(3)}`));
    }
    return Object.freeze(out);
  }
  if (symbols.length === 0) throw new RangeError('symbols list is empty');
  if (symbols.length > MAX_UNIVERSE_SIZE) throw new RangeError(`more than ${MAX_UNIVERSE_SIZE} symbols`);
  const seen = new Set<string>();
  const out: SimulatedSymbol[] = [];
  for (const symbol of symbols) {
    if (typeof symbol !== 'string' || symbol.trim() === '' || symbol !== symbol.trim()) {
      throw new RangeError(`invalid symbol ${JSON.stringify(symbol)}`);
    }
    if (seen.has(symbol)) throw new RangeError(`duplicate symbol ${symbol}`);
    seen.add(symbol);
    out.push(describeSymbol(symbol));
  }
  return Object.freeze(out);
}

function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  // FNV-1a mixes the low bits poorly for short similar strings; finish with an avalanche step.
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
