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
