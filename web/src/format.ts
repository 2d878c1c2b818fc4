// Number and time formatting for the table. toFixed is used instead of Intl on the hot path:
// it is several times cheaper and the table needs no locale-specific grouping for prices.

/** Decimals for prices of this magnitude: 2, or 4 for sub-unit prices (penny stocks, some funds). */
function decimalsFor(price: number): number {
  return Math.abs(price) < 1 ? 4 : 2;
}

/** Price with the decimals its magnitude needs (`reference` = the price a difference belongs to). */
export function formatPrice(value: number, reference: number = value): string {
  if (!Number.isFinite(value)) return '—';
  return value.toFixed(decimalsFor(reference));
}

/** Signed change with a direction arrow, so direction never depends on colour alone. */
export function formatChange(value: number, price: number): string {
  if (!Number.isFinite(value)) return '—';
  if (value > 0) return `▲ ${formatPrice(value, price)}`;
  if (value < 0) return `▼ ${formatPrice(-value, price)}`;
  return formatPrice(0, price);
}

export function formatPercent(value: number): string {
  if (!Number.isFinite(value)) return '—';
  const sign = value > 0 ? '+' : value < 0 ? '−' : '';
  return `${sign}${Math.abs(value).toFixed(2)}%`;
}

/** Compact volume: 987, 12.3K, 4.56M, 1.20B. */
export function formatVolume(value: number): string {
  if (!Number.isFinite(value)) return '—';
  const abs = Math.abs(value);
  if (abs >= 1e9) return `${(value / 1e9).toFixed(2)}B`;
  if (abs >= 1e6) return `${(value / 1e6).toFixed(2)}M`;
  if (abs >= 1e4) return `${(value / 1e3).toFixed(1)}K`;
  return String(Math.round(value));
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** Local wall-clock time of a tick, HH:MM:SS. */
export function formatTime(epochMs: number): string {
  const d = new Date(epochMs);
  return `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}

/** -1, 0 or 1: the sign used to pick up/down styling. */
export function direction(value: number): -1 | 0 | 1 {
  return value > 0 ? 1 : value < 0 ? -1 : 0;
}
