/**
 * Exchange price rules: the 0.01 tick grid, A-share daily price limits and the quoted spread.
 * Prices are handled as integer cents wherever arithmetic happens, and converted with `cents / 100`
 * only when a Quote is built: integer / 100 is the double closest to the decimal, so it prints
 * cleanly (18923 / 100 === 189.23), whereas summing or scaling prices in floats accumulates noise.
 */

/** Minimum price increment on every exchange modelled here (USD 0.01 / CNY 0.01). */
export const TICK_SIZE = 0.01;

/** Quoted spread as a fraction of the price (1 basis point), never narrower than one tick. */
export const SPREAD_FRACTION = 0.0001;

/** Lowest price a US stock may print at in the model (one tick). */
export const MIN_PRICE_CENTS = 1;

/** Rounds a price to the tick grid without float noise: roundToTick(189.230000001) === 189.23. */
export function roundToTick(price: number): number {
  return Math.round(price * 100) / 100;
}

export function toCents(price: number): number {
  return Math.round(price * 100);
}

export function fromCents(cents: number): number {
  return cents / 100;
}

/** Percentage change rounded to 2 decimals, from integer cents. */
export function changePctFromCents(lastCents: number, prevCloseCents: number): number {
  return Math.round(((lastCents - prevCloseCents) / prevCloseCents) * 10000) / 100;
}

/**
 * The daily limit fraction of an A-share from its code: ChiNext (300xxx, 301xxx on SZSE) and the
 * STAR Market (688xxx, 689xxx on SSE) allow +-20 %, the main boards +-10 %. US symbols have no limit.
 * (Risk-warning "ST" stocks use 5 %; the model has no ST flag.)
 */
export function limitPctForSymbol(symbol: string): number | null {
  const match = /^(\d{6})\.(SH|SZ)$/.exec(symbol);
  if (match === null) return null;
  const code = match[1];
  if (code.startsWith('300') || code.startsWith('301') || code.startsWith('688') || code.startsWith('689')) return 0.2;
  return 0.1;
}

/** Inclusive price band in integer cents; for symbols without a limit the band is [1 cent, +inf). */
export interface PriceBand {
  downCents: number;
  upCents: number;
}

/**
 * The exchanges compute the limit prices as prevClose x (1 +- limit) rounded half-up to 0.01.
 * Done in integer arithmetic (cents x basis points) so that 12.35 x 1.1 = 13.585 rounds to 13.59
 * as the exchange does, not to 13.58 as the float 13.584999... would.
 */
export function priceBand(prevCloseCents: number, limitPct: number | null): PriceBand {
  if (limitPct === null) return { downCents: MIN_PRICE_CENTS, upCents: Number.MAX_SAFE_INTEGER };
  const bp = Math.round(limitPct * 10000);
  return {
    downCents: Math.max(MIN_PRICE_CENTS, Math.floor((prevCloseCents * (10000 - bp) + 5000) / 10000)),
    upCents: Math.floor((prevCloseCents * (10000 + bp) + 5000) / 10000),
  };
}

/** Width of the quoted spread in ticks for a price: about 1 bp, at least one tick. */
export function spreadTicks(priceCents: number): number {
  const ticks = Math.round(priceCents * SPREAD_FRACTION);
  return ticks < 1 ? 1 : ticks;
}

/**
 * Places the bid (the ask is bid + spread) around a last trade so that bid < ask and
 * bid <= last <= ask. A buyer-initiated trade printed at the ask, a seller-initiated one at the
 * bid. Near a limit the quote is shifted inside the band: at limit-up the ask sits on the limit.
 * Plain numbers rather than a PriceBand so the simulator's hot loop allocates nothing.
 */
export function bidCents(
  lastCents: number,
  spread: number,
  buyerInitiated: boolean,
  downCents: number,
  upCents: number,
): number {
  let bid = buyerInitiated ? lastCents - spread : lastCents;
  if (bid + spread > upCents) bid = upCents - spread;
  if (bid < downCents) bid = downCents;
  return bid;
}

/*
 * Prices from other sources. The normaliser keeps prices as a source gives them (crypto prices have
 * more than 2 decimals) and does its arithmetic on integers of the prices' common decimal grid: for
 * prices with at most 2 decimals that grid is the cent, so the results are exactly the simulator's.
 */

/** Most decimals computed with: a double holds about 15-17 significant digits in all. */
const MAX_DECIMALS = 12;

/** Decimal places of a number as JavaScript prints it: 189.23 -> 2, 0.00001234 -> 8, 1e-7 -> 7, 5 -> 0. */
export function decimalPlaces(x: number): number {
  const text = String(Math.abs(x));
  const e = text.indexOf('e');
  const mantissa = e < 0 ? text : text.slice(0, e);
  const exponent = e < 0 ? 0 : Number(text.slice(e + 1));
  const dot = mantissa.indexOf('.');
  const fraction = dot < 0 ? 0 : mantissa.length - dot - 1;
  return Math.max(0, fraction - exponent);
}

/**
 * 10^d for the finest grid among `prices`, never coarser than the cent. Large prices give up
 * decimals so the scaled integers stay exact (below 2^53).
 */
export function decimalScale(...prices: number[]): number {
  let decimals = 2;
  let largest = 0;
  for (const price of prices) {
    decimals = Math.max(decimals, decimalPlaces(price));
    largest = Math.max(largest, Math.abs(price));
  }
  decimals = Math.min(decimals, MAX_DECIMALS);
  while (decimals > 0 && largest * 10 ** decimals > Number.MAX_SAFE_INTEGER) decimals--;
  return 10 ** decimals;
}

/**
 * change = last - prevClose on the prices' own grid, without float noise (100.1 - 100 is
 * 0.09999999999999432 in floats, 0.1 here), and changePct rounded to 2 decimals.
 */
export function priceChange(last: number, prevClose: number): { change: number; changePct: number } {
  const scale = decimalScale(last, prevClose);
  const lastUnits = Math.round(last * scale);
  const prevUnits = Math.round(prevClose * scale);
  // changePctFromCents is a ratio: it is right for integers of any grid, not only cents.
  return { change: (lastUnits - prevUnits) / scale, changePct: changePctFromCents(lastUnits, prevUnits) };
}

/** The middle of bid and ask on their grid (at least the cent), rounded half up, never outside [bid, ask]. */
export function midPrice(bid: number, ask: number): number {
  const scale = decimalScale(bid, ask);
  const mid = Math.round((Math.round(bid * scale) + Math.round(ask * scale)) / 2) / scale;
  // Prices with float noise beyond the grid (56.839999999999996) would otherwise round out of the book.
  return Math.min(Math.max(mid, bid), ask);
}
