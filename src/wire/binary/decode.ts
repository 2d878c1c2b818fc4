/**
 * The `tickstream.bin.v1` decoder (docs/wire-binary.md). Strict: a frame is either one whole valid
 * message or a BinaryDecodeError (truncated, trailing bytes, reserved bits set, unknown message type,
 * another format version, invalid UTF-8, a count larger than the bytes left...). Every frame decodes
 * alone: no state is kept between calls.
 */
import type { CommandId, ErrorCode, FeedState, ServerMessage, WireBar, WireFeedStatus, WireQuote, WireSymbolInfo } from '../types.js';
import { isBarTimeframe } from '../limits.js';
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
  MAX_SAFE,
  MESSAGE_TYPES,
  MIN_QUOTE_BYTES,
  NUM_DECIMAL,
  NUM_FLOAT64,
  NUM_INT,
  POW10,
  QF_ALL,
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
  Q_PCT_SCALE_MASK,
  Q_PCT_SCALE_SHIFT,
  Q_PRICE_SCALE_MASK,
} from './constants.js';
import { ByteReader } from './reader.js';

type Msg<T extends ServerMessage['type']> = Extract<ServerMessage, { type: T }>;

/** The bytes of a binary frame: a Uint8Array (a Node Buffer is one) or an ArrayBuffer (browsers' `binaryType = 'arraybuffer'`). */
export type BinaryFrame = Uint8Array | ArrayBuffer;

/** Decodes one `tickstream.bin.v1` frame. Throws BinaryDecodeError for anything but one whole valid message. */
export function decodeServerMessageBinary(frame: BinaryFrame): ServerMessage {
  const bytes = frame instanceof Uint8Array ? frame : asBytes(frame);
  const r = new ByteReader(bytes);
  const message = readServerMessage(r);
  if (r.pos !== r.end) r.fail(`${r.end - r.pos} trailing byte${r.end - r.pos === 1 ? '' : 's'} after the ${message.type} message`);
  return message;
}

function asBytes(frame: unknown): Uint8Array {
  if (frame instanceof ArrayBuffer) return new Uint8Array(frame);
  if (ArrayBuffer.isView(frame)) return new Uint8Array(frame.buffer, frame.byteOffset, frame.byteLength);
  throw new TypeError('decodeServerMessageBinary: expected a Uint8Array or an ArrayBuffer');
}

function readServerMessage(r: ByteReader): ServerMessage {
  if (r.end === 0) r.fail('empty frame');
  const version = r.u8('format version');
  if (version !== BINARY_FORMAT_VERSION) {
    r.fail(`unsupported format version ${version} (this decoder reads version ${BINARY_FORMAT_VERSION} only)`, 0);
  }
  const code = r.u8('message type');
  const type = MESSAGE_TYPES[code];
  if (type === undefined) return r.fail(`unknown message type code 0x${code.toString(16).padStart(2, '0')}`, 1);
  switch (type) {
    case 'welcome': {
      const flags = readFlags(r, FLAG_WORKER | FLAG_REASON, type);
      const server = r.str('welcome server');
      const version = r.str('welcome version');
      const epoch = r.str('welcome epoch');
      const feed: WireFeedStatus = { state: r.str('welcome feed state') as FeedState };
      if (flags & FLAG_REASON) feed.reason = r.str('welcome feed reason');
      const interval = readNum(r, 'welcome interval');
      const heartbeat = readNum(r, 'welcome heartbeat');
      const symbols = readStrings(r, 'welcome symbols');
      const m: Msg<'welcome'> = { type, server, version, epoch, feed, interval, heartbeat, symbols };
      if (flags & FLAG_WORKER) m.worker = readNum(r, 'welcome worker');
      return m;
    }
    case 'epoch': {
      const epoch = r.str('epoch epoch');
      const previous = r.str('epoch previous');
      return { type, epoch, previous };
    }
    case 'status': {
      const flags = readFlags(r, FLAG_STATUS_REASON, type);
      const feed = r.str('status feed') as FeedState;
      if (flags & FLAG_STATUS_REASON) return { type, feed, reason: r.str('status reason') };
      return { type, feed };
    }
    case 'symbols': {
      // An info takes at least 6 bytes: four empty strings and a 2-byte num.
      const n = r.count('symbols added count', 6);
      const added: WireSymbolInfo[] = new Array(n);
      for (let i = 0; i < n; i++) {
        const symbol = r.str('symbols added symbol');
        const name = r.str('symbols added name');
        const exchange = r.str('symbols added exchange');
        const currency = r.str('symbols added currency');
        const prevClose = readNum(r, 'symbols added prevClose');
        added[i] = { symbol, name, exchange, currency, prevClose };
      }
      const removed = readStrings(r, 'symbols removed');
      return { type, added, removed };
    }
    case 'snapshot': {
      const flags = readFlags(r, FLAG_ID | FLAG_ID_NUMBER | FLAG_RECOVERED | FLAG_RECOVERED_TRUE, type);
      if ((flags & FLAG_RECOVERED_TRUE) !== 0 && (flags & FLAG_RECOVERED) === 0) r.fail('snapshot flags: recovered=true bit without the recovered bit', r.pos - 1);
      const id = readOptionalId(r, flags, type);
      const offset = readNum(r, 'snapshot offset');
      const quotes = readQuotes(r);
      const m: Msg<'snapshot'> = id !== undefined ? { type, id, quotes, offset } : { type, quotes, offset };
      if (flags & FLAG_RECOVERED) m.recovered = (flags & FLAG_RECOVERED_TRUE) !== 0;
      return m;
    }
    case 'quotes': {
      const offset = readNum(r, 'quotes offset');
      const quotes = readQuotes(r);
      return { type, quotes, offset };
    }
    case 'subscriptions': {
      const flags = readFlags(r, FLAG_ID | FLAG_ID_NUMBER, type);
      const id = readOptionalId(r, flags, type);
      const symbols = readStrings(r, 'subscriptions symbols');
      return id !== undefined ? { type, id, symbols } : { type, symbols };
    }
    case 'interval': {
      const flags = readFlags(r, FLAG_ID | FLAG_ID_NUMBER, type);
      const id = readOptionalId(r, flags, type);
      const interval = readNum(r, 'interval interval');
      return id !== undefined ? { type, id, interval } : { type, interval };
    }
    case 'heartbeat':
      return { type, ts: readNum(r, 'heartbeat ts') };
    case 'pong': {
      const flags = readFlags(r, FLAG_ID | FLAG_ID_NUMBER, type);
      const id = readOptionalId(r, flags, type);
      const ts = readNum(r, 'pong ts');
      return id !== undefined ? { type, id, ts } : { type, ts };
    }
    case 'refreshed': {
      const flags = readFlags(r, FLAG_ID | FLAG_ID_NUMBER | FLAG_EXPIRES_AT | FLAG_REMOVED, type);
      const id = readOptionalId(r, flags, type);
      const sub = r.str('refreshed sub');
      const expiresAt = flags & FLAG_EXPIRES_AT ? readNum(r, 'refreshed expiresAt') : null;
      const m: Msg<'refreshed'> = id !== undefined ? { type, id, sub, expiresAt } : { type, sub, expiresAt };
      if (flags & FLAG_REMOVED) m.removed = readStrings(r, 'refreshed removed');
      return m;
    }
    case 'error': {
      const flags = readFlags(r, FLAG_ID | FLAG_ID_NUMBER | FLAG_SYMBOLS, type);
      const id = readOptionalId(r, flags, type);
      const code = r.str('error code') as ErrorCode;
      const message = r.str('error message');
      const m: Msg<'error'> = id !== undefined ? { type, id, code, message } : { type, code, message };
      if (flags & FLAG_SYMBOLS) m.symbols = readStrings(r, 'error symbols');
      return m;
    }
    case 'bars': {
      const flags = readFlags(r, FLAG_ID | FLAG_ID_NUMBER, type);
      const id = readOptionalId(r, flags, type);
      const symbol = r.str('bars symbol');
      const tf = r.str('bars tf');
      if (!isBarTimeframe(tf)) r.fail(`bars: unknown timeframe ${JSON.stringify(tf)}`);
      const epoch = r.str('bars epoch');
      const offset = readNum(r, 'bars offset');
      const seq = readNum(r, 'bars seq');
      const volume = readNum(r, 'bars volume');
      const n = r.count('bar count', 12); // six `num`s of at least 2 bytes each
      const bars: WireBar[] = new Array(n);
      let t = 0;
      for (let i = 0; i < n; i++) {
        t += readNum(r, 'bar t');
        bars[i] = { t, o: readNum(r, 'bar o'), h: readNum(r, 'bar h'), l: readNum(r, 'bar l'), c: readNum(r, 'bar c'), v: readNum(r, 'bar v') };
      }
      const m: Msg<'bars'> = { type, symbol, tf, epoch, offset, seq, volume, bars };
      if (id !== undefined) m.id = id;
      return m;
    }
  }
}

// ---- primitives ----------------------------------------------------------------------------------

/** A flags byte whose bits outside `allowed` must be zero (they are reserved in v1). */
function readFlags(r: ByteReader, allowed: number, type: string): number {
  const flags = r.u8(`${type} flags`);
  if ((flags & ~allowed) !== 0) r.fail(`${type} flags: reserved bits set (0x${flags.toString(16).padStart(2, '0')})`, r.pos - 1);
  return flags;
}

function readOptionalId(r: ByteReader, flags: number, type: string): CommandId | undefined {
  if ((flags & FLAG_ID) === 0) {
    if (flags & FLAG_ID_NUMBER) r.fail(`${type} flags: numeric-id bit without the id bit`, r.pos - 1);
    return undefined;
  }
  return flags & FLAG_ID_NUMBER ? readNum(r, `${type} id`) : r.str(`${type} id`);
}

/** `num`: tag byte, then a zig-zag integer, a decimal (scale byte + zig-zag mantissa) or a float64. */
export function readNum(r: ByteReader, what: string): number {
  const at = r.pos;
  const tag = r.u8(what);
  switch (tag) {
    case NUM_INT:
      return r.zigzag(what);
    case NUM_DECIMAL: {
      const k = r.u8(`${what} scale`);
      if (k < 1 || k > MAX_NUM_SCALE) r.fail(`${what}: decimal scale ${k} outside 1..${MAX_NUM_SCALE}`, at + 1);
      return r.zigzag(what) / POW10[k]!;
    }
    case NUM_FLOAT64:
      return r.f64(what);
    default:
      return r.fail(`${what}: unknown number tag 0x${tag.toString(16).padStart(2, '0')}`, at);
  }
}

function readStrings(r: ByteReader, what: string): string[] {
  const n = r.count(`${what} count`, 1);
  const list: string[] = new Array(n);
  for (let i = 0; i < n; i++) list[i] = r.str(what);
  return list;
}

function readQuotes(r: ByteReader): WireQuote[] {
  const n = r.count('quote count', MIN_QUOTE_BYTES);
  const quotes: WireQuote[] = new Array(n);
  for (let i = 0; i < n; i++) quotes[i] = readQuote(r);
  return quotes;
}

/** ref + delta, which must stay within the safe-integer range. */
function sum(r: ByteReader, ref: number, delta: number, what: string, at: number): number {
  const v = ref + delta;
  if (v > MAX_SAFE || v < -MAX_SAFE) r.fail(`quote ${what}: scaled value outside +-(2^53 - 1)`, at);
  return v;
}

/** One quote (docs/wire-binary.md, "Quote"). */
export function readQuote(r: ByteReader): WireQuote {
  const symbol = r.str('quote symbol');
  const header = r.u8('quote header');
  const kp = header & Q_PRICE_SCALE_MASK;
  const kc = (header >>> Q_PCT_SCALE_SHIFT) & Q_PCT_SCALE_MASK;
  let exc = 0;
  if (header & Q_EXCEPTIONS) {
    const at = r.pos;
    exc = r.varuint('quote exception mask');
    if (exc === 0 || exc > QF_ALL) r.fail(`quote exception mask 0x${exc.toString(16)} is empty or has undefined bits`, at);
  }
  const p = POW10[kp]!;
  if (exc === 0) {
    // The common case: every field compact.
    const L = r.zigzag('quote last');
    const last = L / p;
    let at = r.pos;
    const bid = sum(r, L, r.zigzag('quote bid'), 'bid', at) / p;
    at = r.pos;
    const ask = sum(r, L, r.zigzag('quote ask'), 'ask', at) / p;
    at = r.pos;
    const open = sum(r, L, r.zigzag('quote open'), 'open', at) / p;
    at = r.pos;
    const high = sum(r, L, r.zigzag('quote high'), 'high', at) / p;
    at = r.pos;
    const low = sum(r, L, r.zigzag('quote low'), 'low', at) / p;
    at = r.pos;
    const P = sum(r, L, r.zigzag('quote prevClose'), 'prevClose', at);
    const prevClose = P / p;
    at = r.pos;
    const ref = L - P;
    if (ref > MAX_SAFE || ref < -MAX_SAFE) r.fail('quote change: last - prevClose outside +-(2^53 - 1)', at);
    const change = sum(r, ref, r.zigzag('quote change'), 'change', at) / p;
    const changePct = r.zigzag('quote changePct') / POW10[kc]!;
    const volume = r.varuint('quote volume');
    const ts = r.varuint('quote ts');
    const seq = r.varuint('quote seq');
    return { symbol, last, bid, ask, open, high, low, prevClose, change, changePct, volume, ts, seq };
  }
  let L = 0;
  let last: number;
  if (exc & QF_LAST) last = r.f64('quote last');
  else {
    L = r.zigzag('quote last');
    last = L / p;
  }
  const bid = exc & QF_BID ? r.f64('quote bid') : deltaPrice(r, L, p, 'bid');
  const ask = exc & QF_ASK ? r.f64('quote ask') : deltaPrice(r, L, p, 'ask');
  const open = exc & QF_OPEN ? r.f64('quote open') : deltaPrice(r, L, p, 'open');
  const high = exc & QF_HIGH ? r.f64('quote high') : deltaPrice(r, L, p, 'high');
  const low = exc & QF_LOW ? r.f64('quote low') : deltaPrice(r, L, p, 'low');
  let P = 0;
  let prevClose: number;
  if (exc & QF_PREV_CLOSE) prevClose = r.f64('quote prevClose');
  else {
    const at = r.pos;
    P = sum(r, L, r.zigzag('quote prevClose'), 'prevClose', at);
    prevClose = P / p;
  }
  let change: number;
  if (exc & QF_CHANGE) change = r.f64('quote change');
  else {
    const at = r.pos;
    const ref = (exc & (QF_LAST | QF_PREV_CLOSE)) === 0 ? L - P : 0;
    if (ref > MAX_SAFE || ref < -MAX_SAFE) r.fail('quote change: last - prevClose outside +-(2^53 - 1)', at);
    change = sum(r, ref, r.zigzag('quote change'), 'change', at) / p;
  }
  const changePct = exc & QF_CHANGE_PCT ? r.f64('quote changePct') : r.zigzag('quote changePct') / POW10[kc]!;
  const volume = exc & QF_VOLUME ? r.f64('quote volume') : r.varuint('quote volume');
  const ts = exc & QF_TS ? r.f64('quote ts') : r.varuint('quote ts');
  const seq = exc & QF_SEQ ? r.f64('quote seq') : r.varuint('quote seq');
  return { symbol, last, bid, ask, open, high, low, prevClose, change, changePct, volume, ts, seq };
}

function deltaPrice(r: ByteReader, L: number, p: number, what: string): number {
  const at = r.pos;
  return sum(r, L, r.zigzag(`quote ${what}`), what, at) / p;
}
