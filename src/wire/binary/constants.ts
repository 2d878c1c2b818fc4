/**
 * Constants of the binary wire format `tickstream.bin.v1` (docs/wire-binary.md is the byte-by-byte
 * specification). No I/O and no Node APIs: the browser bundle imports this as is.
 */
import type { ServerMessageType } from '../types.js';

/** The WebSocket subprotocol a client offers to receive binary frames in this format. */
export const BINARY_SUBPROTOCOL = 'tickstream.bin.v1';

/** Byte 0 of every frame. A decoder refuses any other value. */
export const BINARY_FORMAT_VERSION = 1;

/** Byte 1 of every frame: the message type. */
export const MESSAGE_CODES = {
  welcome: 0x01,
  epoch: 0x02,
  status: 0x03,
  symbols: 0x04,
  snapshot: 0x05,
  quotes: 0x06,
  subscriptions: 0x07,
  interval: 0x08,
  heartbeat: 0x09,
  pong: 0x0a,
  refreshed: 0x0b,
  error: 0x0c,
  bars: 0x0d,
} as const satisfies Record<ServerMessageType, number>;

/** The inverse of MESSAGE_CODES, indexed by code (index 0 and codes above 0x0d are unknown). */
export const MESSAGE_TYPES: readonly (ServerMessageType | undefined)[] = (() => {
  const types: (ServerMessageType | undefined)[] = [];
  for (const [type, code] of Object.entries(MESSAGE_CODES)) types[code] = type as ServerMessageType;
  return types;
})();

// ---- `num`: a tagged number (any JS number, exactly) -------------------------------------------

/** `num` tag: a zig-zag varint integer follows. */
export const NUM_INT = 0x00;
/** `num` tag: one scale byte k (1..MAX_NUM_SCALE) and a zig-zag varint mantissa m follow; value = m / 10^k. */
export const NUM_DECIMAL = 0x01;
/** `num` tag: an IEEE-754 float64, little-endian, follows. */
export const NUM_FLOAT64 = 0x02;
/** Largest decimal scale of a `num`. */
export const MAX_NUM_SCALE = 15;

// ---- message flag bits (the flags byte of messages with optional members) ----------------------

/** `id` is present. */
export const FLAG_ID = 0x01;
/** `id` is a number (`num`); without this bit a present `id` is a string (`str`). */
export const FLAG_ID_NUMBER = 0x02;
/** snapshot: `recovered` is present. */
export const FLAG_RECOVERED = 0x04;
/** snapshot: `recovered` is true (only with FLAG_RECOVERED). */
export const FLAG_RECOVERED_TRUE = 0x08;
/** refreshed: `expiresAt` is a number (without this bit it is null). */
export const FLAG_EXPIRES_AT = 0x04;
/** refreshed: `removed` is present. */
export const FLAG_REMOVED = 0x08;
/** error: `symbols` is present. */
export const FLAG_SYMBOLS = 0x04;
/** welcome: `worker` is present. */
export const FLAG_WORKER = 0x01;
/** welcome and status: the feed's `reason` is present. */
export const FLAG_REASON = 0x02;
/** status: the `reason` is present (status has no id, so bit 0). */
export const FLAG_STATUS_REASON = 0x01;

// ---- quotes --------------------------------------------------------------------------------------

/** Quote header byte: bits 0-3 are the price scale kp. */
export const Q_PRICE_SCALE_MASK = 0x0f;
/** Quote header byte: bits 4-6 are the changePct scale kc. */
export const Q_PCT_SCALE_SHIFT = 4;
export const Q_PCT_SCALE_MASK = 0x07;
/** Quote header byte: bit 7 says an exception mask (varuint) follows the header. */
export const Q_EXCEPTIONS = 0x80;
/** Largest price scale (decimals) of a quote's scaled prices. */
export const MAX_PRICE_SCALE = 15;
/** Largest changePct scale. */
export const MAX_PCT_SCALE = 7;

/**
 * Exception mask bits: a field whose bit is set is written as a float64 (little-endian) instead of
 * its compact form. Set only when the compact form cannot carry the value exactly (non-finite, -0,
 * too many decimals, outside the safe-integer range, a negative or fractional volume/ts/seq).
 */
export const QF_LAST = 1 << 0;
export const QF_BID = 1 << 1;
export const QF_ASK = 1 << 2;
export const QF_OPEN = 1 << 3;
export const QF_HIGH = 1 << 4;
export const QF_LOW = 1 << 5;
export const QF_PREV_CLOSE = 1 << 6;
export const QF_CHANGE = 1 << 7;
export const QF_CHANGE_PCT = 1 << 8;
export const QF_VOLUME = 1 << 9;
export const QF_TS = 1 << 10;
export const QF_SEQ = 1 << 11;
/** Every defined exception bit. */
export const QF_ALL = (1 << 12) - 1;

/**
 * The smallest possible encoded quote: a 1-byte symbol length (empty symbol), the header, and 12
 * one-byte fields. A decoder uses it to bound a quote count by the bytes left.
 */
export const MIN_QUOTE_BYTES = 14;

/** 10^k for k = 0..22: every one is exactly representable as a double. */
export const POW10: readonly number[] = Array.from({ length: 23 }, (_, k) => Number(`1e${k}`));

export const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/**
 * The smallest k in 0..max such that m = Math.round(x * 10^k) is a safe integer and m / 10^k === x
 * (so a decoder computing m / 10^k gets back the identical double), or -1 if there is none: x is
 * non-finite, -0 (m / 10^k would give +0), has more decimals than `max`, or is too large.
 */
export function decimalScale(x: number, max: number): number {
  if (x === 0) return Object.is(x, -0) ? -1 : 0;
  for (let k = 0; k <= max; k++) {
    const p = POW10[k]!;
    const m = Math.round(x * p);
    if (m / p === x) return m <= MAX_SAFE && m >= -MAX_SAFE ? k : -1;
    if (m > MAX_SAFE || m < -MAX_SAFE || m !== m) return -1; // too large (or NaN): more decimals cannot help
  }
  return -1;
}

/**
 * The mantissa of x at scale 10^k (`p`), or NaN if m / p does not give back x exactly or m is not a
 * safe integer.
 */
export function scaledUnits(x: number, p: number): number {
  const m = Math.round(x * p);
  return m / p === x && m <= MAX_SAFE && m >= -MAX_SAFE ? m : NaN;
}
