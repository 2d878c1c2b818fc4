/**
 * Reading untyped upstream JSON without trusting it: every helper returns undefined for a value of
 * the wrong shape, so a mapping function can say "malformed" instead of throwing or passing NaN on.
 */

export type JsonRecord = Readonly<Record<string, unknown>>;

/** JSON.parse that returns undefined instead of throwing. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

export function isRecord(value: unknown): value is JsonRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function stringField(record: JsonRecord, key: string): string | undefined {
  const value = record[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** A finite number, given as a JSON number. */
export function numberField(record: JsonRecord, key: string): number | undefined {
  const value = record[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** A finite number given as a JSON number or as a decimal string ("25.35190000", as Binance sends prices). */
export function decimalField(record: JsonRecord, key: string): number | undefined {
  const value = record[key];
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string' || !DECIMAL.test(value)) return undefined;
  return Number(value);
}

const DECIMAL = /^-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?$/;

/** Epoch milliseconds from an RFC 3339 timestamp (nanosecond fractions are cut to the millisecond). */
export function rfc3339Field(record: JsonRecord, key: string): number | undefined {
  const value = record[key];
  if (typeof value !== 'string' || !/^\d{4}-\d\d-\d\dT/.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}

/**
 * A cumulative quantity without binary float noise: 0.1 + 0.2 is kept as 0.3, not
 * 0.30000000000000004 (15 significant digits is what a double holds exactly anyway).
 */
export function addQuantity(total: number, size: number): number {
  return Number((total + size).toPrecision(15));
}
