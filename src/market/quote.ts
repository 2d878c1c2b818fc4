/**
 * The quote model shared by every feed and by the hub. Prices are plain numbers on the 0.01 tick
 * grid (always produced as `cents / 100`, so they print without float noise such as
 * 189.23000000000002). Timestamps are milliseconds since the Unix epoch.
 */
export interface Quote {
  symbol: string;
  last: number;
  bid: number;
  ask: number;
  open: number;
  high: number;
  low: number;
  prevClose: number;
  /** last - prevClose, on the tick grid. */
  change: number;
  /** (last - prevClose) / prevClose * 100, rounded to 2 decimals. */
  changePct: number;
  /** Cumulative shares traded in the session. Never decreases. */
  volume: number;
  ts: number;
  /** Per-symbol sequence number, strictly increasing from 1. */
  seq: number;
}

export type Exchange = 'NASDAQ' | 'NYSE' | 'SSE' | 'SZSE';

export interface SymbolInfo {
  symbol: string;
  name: string;
  exchange: Exchange;
  currency: 'USD' | 'CNY';
  prevClose: number;
  /** Annualised volatility (0.30 = 30 % a year), the sigma of the geometric Brownian motion. */
  volatility: number;
  /** Daily price-limit fraction: 0.10 for most A-shares, 0.20 for ChiNext/STAR, null for US. */
  limitPct: number | null;
}
