/**
 * The `tickstream.bin.v1` encoder (docs/wire-binary.md). Every frame stands alone: nothing depends on
 * an earlier frame or on the receiving client, so one encoding serves every client of a delivery
 * group. A quote's bytes do not depend on the message around it either, so they can be encoded once
 * per quote and copied into every frame that carries it (BinaryQuoteEncoder).
 */
import type { CommandId, ServerMessage, WireQuote } from '../types.js';
import {
  BINARY_FORMAT_VERSION,
  FLAG_EXPIRES_AT,
  FLAG_ID,
  FLAG_ID_NUMBER,
  FLAG_REASON,
  FLAG_RECOVERED,
  FLAG_RECOVERED_TRUE,
  FLAG_REMOVED,
  FLAG_STATUS_REASON,
  FLAG_SYMBOLS,
  FLAG_WORKER,
  MAX_NUM_SCALE,
  MAX_PCT_SCALE,
  MAX_PRICE_SCALE,
  MAX_SAFE,
  MESSAGE_CODES,
  NUM_DECIMAL,
  NUM_FLOAT64,
  NUM_INT,
  POW10,
  QF_ASK,
  QF_BID,
  QF_CHANGE,
  QF_CHANGE_PCT,
  QF_HIGH,
  QF_LAST,
  QF_LOW,
  QF_OPEN,
  QF_PREV_CLOSE,
  QF_SEQ,
  QF_TS,
  QF_VOLUME,
  Q_EXCEPTIONS,
  Q_PCT_SCALE_SHIFT,
  decimalScale,
  scaledUnits,
} from './constants.js';
import { ByteWriter, describe, isVaruint } from './writer.js';

/** The writer of encodeServerMessageBinary and quote encoding (single-threaded: reused, then copied out). */
const scratch = new ByteWriter(4096);
/** The scratch writer keeps at most this much between calls. */
const SCRATCH_KEEP = 256 * 1024;

/** Encodes one server message as a `tickstream.bin.v1` frame. Throws TypeError for a value outside the message types. */
export function encodeServerMessageBinary(m: ServerMessage): Uint8Array {
  const w = scratch;
  w.reset();
  try {
    writeServerMessage(w, m);
    return w.finish();
  } finally {
    w.trim(SCRATCH_KEEP, 4096);
  }
}

/** Writes one whole message (version byte included) to `w`. */
export function writeServerMessage(w: ByteWriter, m: ServerMessage): void {
  const code = (MESSAGE_CODES as Record<string, number>)[m?.type];
  if (code === undefined || !Object.prototype.hasOwnProperty.call(MESSAGE_CODES, m.type)) {
    throw new TypeError(`binary encoder: not a server message type: ${describe(m?.type)}`);
  }
  w.u8(BINARY_FORMAT_VERSION);
  w.u8(code);
  switch (m.type) {
    case 'welcome': {
      const reason = m.feed.reason;
      w.u8((m.worker !== undefined ? FLAG_WORKER : 0) | (reason !== undefined ? FLAG_REASON : 0));
      w.str(m.server);
      w.str(m.version);
      w.str(m.epoch);
      w.str(m.feed.state);
      if (reason !== undefined) w.str(reason);
      writeNum(w, m.interval);
      writeNum(w, m.heartbeat);
      writeStrings(w, m.symbols);
      if (m.worker !== undefined) writeNum(w, m.worker);
      return;
    }
    case 'epoch':
      w.str(m.epoch);
      w.str(m.previous);
      return;
    case 'status':
      w.u8(m.reason !== undefined ? FLAG_STATUS_REASON : 0);
      w.str(m.feed);
      if (m.reason !== undefined) w.str(m.reason);
      return;
    case 'symbols':
      w.varuint(arrayLength(m.added));
      for (const info of m.added) {
        w.str(info.symbol);
        w.str(info.name);
        w.str(info.exchange);
        w.str(info.currency);
        writeNum(w, info.prevClose);
      }
      writeStrings(w, m.removed);
      return;
    case 'snapshot': {
      const recovered = m.recovered;
      if (recovered !== undefined && typeof recovered !== 'boolean') {
        throw new TypeError(`binary encoder: recovered must be a boolean, got ${describe(recovered)}`);
      }
      w.u8(idFlags(m.id) | (recovered === undefined ? 0 : recovered ? FLAG_RECOVERED | FLAG_RECOVERED_TRUE : FLAG_RECOVERED));
      if (m.id !== undefined) writeId(w, m.id);
      writeNum(w, m.offset);
      writeQuoteList(w, m.quotes);
      return;
    }
    case 'quotes':
      writeNum(w, m.offset);
      writeQuoteList(w, m.quotes);
      return;
    case 'subscriptions':
      w.u8(idFlags(m.id));
      if (m.id !== undefined) writeId(w, m.id);
      writeStrings(w, m.symbols);
      return;
    case 'interval':
      w.u8(idFlags(m.id));
      if (m.id !== undefined) writeId(w, m.id);
      writeNum(w, m.interval);
      return;
    case 'heartbeat':
      writeNum(w, m.ts);
      return;
    case 'pong':
      w.u8(idFlags(m.id));
      if (m.id !== undefined) writeId(w, m.id);
      writeNum(w, m.ts);
      return;
    case 'refreshed': {
      const expiresAt = m.expiresAt;
      if (expiresAt !== null && typeof expiresAt !== 'number') {
        throw new TypeError(`binary encoder: expiresAt must be a number or null, got ${describe(expiresAt)}`);
      }
      w.u8(idFlags(m.id) | (expiresAt !== null ? FLAG_EXPIRES_AT : 0) | (m.removed !== undefined ? FLAG_REMOVED : 0));
      if (m.id !== undefined) writeId(w, m.id);
      w.str(m.sub);
      if (expiresAt !== null) writeNum(w, expiresAt);
      if (m.removed !== undefined) writeStrings(w, m.removed);
      return;
    }
    case 'error':
      w.u8(idFlags(m.id) | (m.symbols !== undefined ? FLAG_SYMBOLS : 0));
      if (m.id !== undefined) writeId(w, m.id);
      w.str(m.code);
      w.str(m.message);
      if (m.symbols !== undefined) writeStrings(w, m.symbols);
      return;
    case 'bars': {
      w.u8(idFlags(m.id));
      if (m.id !== undefined) writeId(w, m.id);
      w.str(m.symbol);
      w.str(m.tf);
      w.str(m.epoch);
      writeNum(w, m.offset);
      writeNum(w, m.seq);
      writeNum(w, m.volume);
      w.varuint(arrayLength(m.bars));
      // Bar starts as differences from the previous one (the first from 0): a few bytes each.
      let previous = 0;
      for (const bar of m.bars) {
        writeNum(w, bar.t - previous);
        previous = bar.t;
        writeNum(w, bar.o);
        writeNum(w, bar.h);
        writeNum(w, bar.l);
        writeNum(w, bar.c);
        writeNum(w, bar.v);
      }
      return;
    }
  }
}

// ---- primitives ----------------------------------------------------------------------------------

/** `num`: any JS number, exactly (NaN, +-Infinity and -0 included). */
export function writeNum(w: ByteWriter, x: number): void {
  if (typeof x !== 'number') throw new TypeError(`binary encoder: expected a number, got ${describe(x)}`);
  if (Number.isSafeInteger(x) && !(x === 0 && 1 / x < 0)) {
    w.u8(NUM_INT);
    w.zigzag(x);
    return;
  }
  const k = decimalScale(x, MAX_NUM_SCALE);
  if (k > 0) {
    w.u8(NUM_DECIMAL);
    w.u8(k);
    w.zigzag(Math.round(x * POW10[k]!));
    return;
  }
  w.u8(NUM_FLOAT64);
  w.f64(x);
}

function writeStrings(w: ByteWriter, list: readonly string[]): void {
  w.varuint(arrayLength(list));
  for (let i = 0; i < list.length; i++) w.str(list[i]!);
}

function arrayLength(list: readonly unknown[]): number {
  if (!Array.isArray(list)) throw new TypeError(`binary encoder: expected an array, got ${describe(list)}`);
  return list.length;
}

function idFlags(id: CommandId | undefined): number {
  if (id === undefined) return 0;
  if (typeof id === 'number') return FLAG_ID | FLAG_ID_NUMBER;
  if (typeof id === 'string') return FLAG_ID;
  throw new TypeError(`binary encoder: id must be a string or a number, got ${describe(id)}`);
}

function writeId(w: ByteWriter, id: CommandId): void {
  if (typeof id === 'number') writeNum(w, id);
  else w.str(id);
}

function writeQuoteList(w: ByteWriter, quotes: readonly WireQuote[]): void {
  w.varuint(arrayLength(quotes));
  for (let i = 0; i < quotes.length; i++) writeQuote(w, quotes[i]!);
}

// ---- quotes --------------------------------------------------------------------------------------

/** A price field's scale, checking the type when it cannot be scaled (the fast path stays cheap). */
function priceScale(x: number, field: string): number {
  const k = decimalScale(x, MAX_PRICE_SCALE);
  if (k < 0 && typeof x !== 'number') throw new TypeError(`binary encoder: quote ${field} must be a number, got ${describe(x)}`);
  return k;
}

function checkNumber(x: number, field: string): void {
  if (typeof x !== 'number') throw new TypeError(`binary encoder: quote ${field} must be a number, got ${describe(x)}`);
}

function isSafe(n: number): boolean {
  return n <= MAX_SAFE && n >= -MAX_SAFE; // false for NaN
}

/**
 * Writes one quote: symbol (`str`, or `symbolBytes` when the caller has it ready), the header byte,
 * the exception mask if any, then the 12 fields (docs/wire-binary.md, "Quote").
 */
export function writeQuote(w: ByteWriter, q: WireQuote, symbolBytes?: Uint8Array): void {
  if (symbolBytes !== undefined) w.bytes(symbolBytes);
  else w.str(q.symbol);
  const { last, bid, ask, open, high, low, prevClose, change, changePct, volume, ts, seq } = q;

  // 1. The common price scale kp: the largest of the prices' smallest exact scales.
  let exc = 0;
  let kp = 0;
  let k: number;
  if ((k = priceScale(last, 'last')) < 0) exc |= QF_LAST; else if (k > kp) kp = k;
  if ((k = priceScale(bid, 'bid')) < 0) exc |= QF_BID; else if (k > kp) kp = k;
  if ((k = priceScale(ask, 'ask')) < 0) exc |= QF_ASK; else if (k > kp) kp = k;
  if ((k = priceScale(open, 'open')) < 0) exc |= QF_OPEN; else if (k > kp) kp = k;
  if ((k = priceScale(high, 'high')) < 0) exc |= QF_HIGH; else if (k > kp) kp = k;
  if ((k = priceScale(low, 'low')) < 0) exc |= QF_LOW; else if (k > kp) kp = k;
  if ((k = priceScale(prevClose, 'prevClose')) < 0) exc |= QF_PREV_CLOSE; else if (k > kp) kp = k;
  if ((k = priceScale(change, 'change')) < 0) exc |= QF_CHANGE; else if (k > kp) kp = k;
  const p = POW10[kp]!;

  // 2. Mantissas at kp and deltas: last absolute; bid..prevClose against last; change against
  //    last - prevClose. A value that cannot be carried exactly becomes an exception (float64).
  let L = 0;
  if ((exc & QF_LAST) === 0) {
    L = scaledUnits(last, p);
    if (L !== L) {
      exc |= QF_LAST;
      L = 0;
    }
  }
  const dBid = (exc & QF_BID) === 0 ? scaledUnits(bid, p) - L : NaN;
  if (!isSafe(dBid)) exc |= QF_BID;
  const dAsk = (exc & QF_ASK) === 0 ? scaledUnits(ask, p) - L : NaN;
  if (!isSafe(dAsk)) exc |= QF_ASK;
  const dOpen = (exc & QF_OPEN) === 0 ? scaledUnits(open, p) - L : NaN;
  if (!isSafe(dOpen)) exc |= QF_OPEN;
  const dHigh = (exc & QF_HIGH) === 0 ? scaledUnits(high, p) - L : NaN;
  if (!isSafe(dHigh)) exc |= QF_HIGH;
  const dLow = (exc & QF_LOW) === 0 ? scaledUnits(low, p) - L : NaN;
  if (!isSafe(dLow)) exc |= QF_LOW;
  let P = 0;
  let dPrev = NaN;
  if ((exc & QF_PREV_CLOSE) === 0) {
    P = scaledUnits(prevClose, p);
    dPrev = P - L;
    if (!isSafe(dPrev)) {
      exc |= QF_PREV_CLOSE;
      P = 0;
    }
  }
  let dChange = NaN;
  if ((exc & QF_CHANGE) === 0) {
    const ref = (exc & (QF_LAST | QF_PREV_CLOSE)) === 0 ? L - P : 0;
    dChange = isSafe(ref) ? scaledUnits(change, p) - ref : NaN;
    if (!isSafe(dChange)) exc |= QF_CHANGE;
  }

  // 3. changePct on its own scale; volume, ts and seq as varuints.
  let kc = decimalScale(changePct, MAX_PCT_SCALE);
  if (kc < 0) {
    checkNumber(changePct, 'changePct');
    exc |= QF_CHANGE_PCT;
    kc = 0;
  }
  if (!isVaruint(volume)) {
    checkNumber(volume, 'volume');
    exc |= QF_VOLUME;
  }
  if (!isVaruint(ts)) {
    checkNumber(ts, 'ts');
    exc |= QF_TS;
  }
  if (!isVaruint(seq)) {
    checkNumber(seq, 'seq');
    exc |= QF_SEQ;
  }

  // 4. Write.
  if (exc === 0) {
    w.u8(kp | (kc << Q_PCT_SCALE_SHIFT));
    w.zigzag(L);
    w.zigzag(dBid);
    w.zigzag(dAsk);
    w.zigzag(dOpen);
    w.zigzag(dHigh);
    w.zigzag(dLow);
    w.zigzag(dPrev);
    w.zigzag(dChange);
    w.zigzag(Math.round(changePct * POW10[kc]!));
    w.varuint(volume);
    w.varuint(ts);
    w.varuint(seq);
    return;
  }
  w.u8(kp | (kc << Q_PCT_SCALE_SHIFT) | Q_EXCEPTIONS);
  w.varuint(exc);
  if (exc & QF_LAST) w.f64(last); else w.zigzag(L);
  if (exc & QF_BID) w.f64(bid); else w.zigzag(dBid);
  if (exc & QF_ASK) w.f64(ask); else w.zigzag(dAsk);
  if (exc & QF_OPEN) w.f64(open); else w.zigzag(dOpen);
  if (exc & QF_HIGH) w.f64(high); else w.zigzag(dHigh);
  if (exc & QF_LOW) w.f64(low); else w.zigzag(dLow);
  if (exc & QF_PREV_CLOSE) w.f64(prevClose); else w.zigzag(dPrev);
  if (exc & QF_CHANGE) w.f64(change); else w.zigzag(dChange);
  if (exc & QF_CHANGE_PCT) w.f64(changePct); else w.zigzag(Math.round(changePct * POW10[kc]!));
  if (exc & QF_VOLUME) w.f64(volume); else w.varuint(volume);
  if (exc & QF_TS) w.f64(ts); else w.varuint(ts);
  if (exc & QF_SEQ) w.f64(seq); else w.varuint(seq);
}

/** One quote's bytes, as they appear inside a `quotes` or `snapshot` message. */
export function encodeQuoteBinary(q: WireQuote): Uint8Array {
  const w = scratch;
  w.reset();
  writeQuote(w, q);
  return w.finish();
}

// ---- assembling messages from encoded quotes ---------------------------------------------------

/**
 * The bytes of a `quotes` message before its quotes: version, type, offset, quote count. The
 * message is this head followed by the `count` encoded quotes, nothing after.
 */
export function quotesMessageHeadBinary(offset: number, count: number): Uint8Array {
  const w = scratch;
  w.reset();
  w.u8(BINARY_FORMAT_VERSION);
  w.u8(MESSAGE_CODES.quotes);
  writeNum(w, offset);
  w.varuint(count);
  return w.finish();
}

/**
 * The bytes of a `snapshot` message before its quotes: version, type, flags, id, offset, quote count.
 */
export function snapshotMessageHeadBinary(id: CommandId | undefined, offset: number, count: number, recovered?: boolean): Uint8Array {
  const w = scratch;
  w.reset();
  w.u8(BINARY_FORMAT_VERSION);
  w.u8(MESSAGE_CODES.snapshot);
  w.u8(idFlags(id) | (recovered === undefined ? 0 : recovered ? FLAG_RECOVERED | FLAG_RECOVERED_TRUE : FLAG_RECOVERED));
  if (id !== undefined) writeId(w, id);
  writeNum(w, offset);
  w.varuint(count);
  return w.finish();
}

/** A whole `quotes` message from quotes already encoded (encodeQuoteBinary / BinaryQuoteEncoder.quoteBytes). */
export function joinQuotesMessageBinary(encodedQuotes: readonly Uint8Array[], offset: number): Uint8Array {
  return join(quotesMessageHeadBinary(offset, encodedQuotes.length), encodedQuotes);
}

function join(head: Uint8Array, parts: readonly Uint8Array[]): Uint8Array {
  let size = head.length;
  for (let i = 0; i < parts.length; i++) size += parts[i]!.length;
  const out = new Uint8Array(size);
  out.set(head, 0);
  let pos = head.length;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    out.set(part, pos);
    pos += part.length;
  }
  return out;
}

interface EncodedQuote {
  quote: WireQuote;
  bytes: Uint8Array;
}

/**
 * The binary twin of the hub's QuoteEncoder: a quote object is encoded once however many frames
 * carry it (identity cache of the latest quote per symbol), and each symbol's length-prefixed UTF-8
 * is built once. Returned arrays are shared: callers must not modify them.
 */
export class BinaryQuoteEncoder {
  private readonly symbols = new Map<string, Uint8Array>();
  private readonly lastEncoded = new Map<string, EncodedQuote>();
  private readonly writer = new ByteWriter(256);

  /** The quote's bytes (as inside a message), encoded once per quote object. */
  quoteBytes(q: WireQuote): Uint8Array {
    const cached = this.lastEncoded.get(q.symbol);
    if (cached !== undefined && cached.quote === q) return cached.bytes;
    let symbolBytes = this.symbols.get(q.symbol);
    if (symbolBytes === undefined) {
      const w = this.writer;
      w.reset();
      w.str(q.symbol);
      symbolBytes = w.finish();
      this.symbols.set(q.symbol, symbolBytes);
    }
    const w = this.writer;
    w.reset();
    writeQuote(w, q, symbolBytes);
    const bytes = w.finish();
    if (cached !== undefined) {
      cached.quote = q;
      cached.bytes = bytes;
    } else {
      this.lastEncoded.set(q.symbol, { quote: q, bytes });
    }
    return bytes;
  }

  /** A whole `quotes` message. */
  quotesMessage(quotes: Iterable<WireQuote>, offset: number): Uint8Array {
    const parts: Uint8Array[] = [];
    for (const q of quotes) parts.push(this.quoteBytes(q));
    return join(quotesMessageHeadBinary(offset, parts.length), parts);
  }

  /** A whole `snapshot` message. */
  snapshotMessage(id: CommandId | undefined, quotes: Iterable<WireQuote>, offset: number, recovered?: boolean): Uint8Array {
    const parts: Uint8Array[] = [];
    for (const q of quotes) parts.push(this.quoteBytes(q));
    return join(snapshotMessageHeadBinary(id, offset, parts.length, recovered), parts);
  }

  /** Forgets a symbol's cached encodings (bounds memory if symbols churn). */
  forget(symbol: string): void {
    this.lastEncoded.delete(symbol);
    this.symbols.delete(symbol);
  }
}
